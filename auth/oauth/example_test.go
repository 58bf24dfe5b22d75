package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
	"github.com/luciapg/luciapg/memadapter"
)

// Sign in with GitHub: the first sign-in creates the user with the key
// "github:583231", as @lucia-auth/oauth does; a replayed callback is
// refused.
func Example() {
	ctx := context.Background()
	stub := newStubProvider() // stands in for github.com in this example
	defer stub.Close()

	// In production: auth.New(luciapg.New(pool), auth.Config{}).
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	github := oauth.GitHub("client-id", "client-secret", "https://app.example/login/github/callback")
	github.OAuth2.Endpoint = stub.endpoint()                 // not in production
	github.UserID = oauth.JSONUserID(stub.URL+"/user", "id") // not in production
	flow, err := oauth.New(a, github, oauth.Config{})
	if err != nil {
		panic(err)
	}

	// GET /login/github: the state cookie, then a redirect to GitHub
	// (a handler can call flow.Redirect(w, r) instead).
	start := httptest.NewRecorder()
	authURL := flow.Start(start)

	// The user approves on GitHub, which sends the browser back with the
	// cookie.
	callback := httptest.NewRequest("GET", stub.approve(authURL), nil)
	callback.AddCookie(start.Result().Cookies()[0])

	// GET /login/github/callback: sign in (or create), then a session.
	res, err := flow.Callback(httptest.NewRecorder(), callback, "")
	if err != nil {
		panic(err)
	}
	session, err := a.CreateSession(ctx, res.User.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("created:", res.Created, "key:", res.Key.ProviderID+":"+res.Key.ProviderUserID, "session:", session.State)

	// The same callback again: its state is spent.
	_, err = flow.Callback(httptest.NewRecorder(), callback, "")
	fmt.Println("replayed:", errors.Is(err, oauth.ErrStateReplayed))
	// Output:
	// created: true key: github:583231 session: active
	// replayed: true
}
