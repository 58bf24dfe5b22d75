package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/auth/tokens"
)

// Where you are signed in, over HTTP: a user signed in on two devices
// lists their sessions, signs the other one out, and reads what happened
// in the audit log; the sign-in from the new device sent a notice. This
// is the README's third example and docs/devices-and-audit.md's first.
func Example_devices() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if _, err := luciapg.MigrateConnString(ctx, os.Getenv("DATABASE_URL")); err != nil {
		log.Fatal(err)
	}
	notices := make(chan auth.Notice, 10)
	a, err := auth.New(luciapg.New(pool), auth.Config{
		// Called in the background once the action committed; in
		// production, a mailer.
		Notifier: auth.NotifierFunc(func(ctx context.Context, n auth.Notice) error {
			notices <- n
			return nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := authhttp.New(a, authhttp.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := sessions.LoginWithPassword(r.Context(), w, "username", r.FormValue("username"), r.FormValue("password")); err != nil {
			http.Error(w, "wrong username or password", http.StatusUnauthorized)
		}
	})
	// Where you are signed in: the request's own session first, marked.
	mux.Handle("GET /account/sessions", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, err := sessions.ListSessions(r)
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		for _, s := range list {
			if !s.HasMetadata { // made by a Lucia v1 app
				fmt.Fprintln(w, "a session with no details")
				continue
			}
			fmt.Fprintf(w, "current %t, from %s, %s\n", s.Current, s.ClientAddress, s.UserAgent)
		}
	})))
	// Sign out one session, named by its label (never its id).
	mux.Handle("POST /account/sessions/revoke", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := sessions.RevokeSession(r, r.FormValue("label"))
		switch {
		case errors.Is(err, auth.ErrSessionNotFound): // not one of this user's
			http.Error(w, "no such session", http.StatusNotFound)
		case err != nil:
			http.Error(w, "try again", http.StatusInternalServerError)
		}
	})))
	// Sign out everywhere else.
	mux.Handle("POST /account/sessions/revoke-others", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := sessions.RevokeOtherSessions(r)
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "signed out of %d other sessions", n)
	})))
	// Recent activity: the request's user's own events, newest first.
	mux.Handle("GET /account/activity", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		events, err := sessions.AuditEvents(r, luciapg.AuditQuery{Limit: 20})
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		for _, e := range events {
			fmt.Fprintln(w, e.Kind, e.ClientAddress, e.Detail)
		}
	})))
	handler := sessions.Middleware(mux) // puts the client's address and user agent in the context

	// Sign up from a laptop: the event records the client, so a later
	// sign-in from it is no news.
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	const safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	laptop := auth.WithClient(ctx, "192.0.2.1", firefox)
	user, err := a.CreateUser(laptop, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "katherine", Password: "correct horse"}})
	if err != nil {
		log.Fatal(err)
	}

	// What a browser would send.
	send := func(method, path, form string, cookie *http.Cookie, address, userAgent string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "https://example.com"+path, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("User-Agent", userAgent)
		r.RemoteAddr = address + ":50000"
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	credentials := url.Values{"username": {"katherine"}, "password": {"correct horse"}}.Encode()
	onLaptop := send("POST", "/login", credentials, nil, "192.0.2.1", firefox).Result().Cookies()[0]
	send("POST", "/login", "username=katherine&password=wrong", nil, "198.51.100.7", safari)
	onPhone := send("POST", "/login", credentials, nil, "198.51.100.7", safari).Result().Cookies()[0]
	notice := <-notices
	fmt.Println("notice:", notice.Kind, "from", notice.ClientAddress)
	// A session a Lucia v1 app made: no metadata.
	lucia := luciapg.Session{ID: "luciav1session0000000000000000000000000a", UserID: user.ID,
		ActiveExpires: time.Now().Add(time.Hour).UnixMilli(), IdleExpires: time.Now().Add(2 * time.Hour).UnixMilli()}
	if err := luciapg.New(pool).SetSession(ctx, lucia); err != nil {
		log.Fatal(err)
	}

	fmt.Print(send("GET", "/account/sessions", "", onLaptop, "192.0.2.1", firefox).Body.String())
	fmt.Println("a label that is none of mine:", send("POST", "/account/sessions/revoke", "label=0123ab", onLaptop, "192.0.2.1", firefox).Code)
	fmt.Println(send("POST", "/account/sessions/revoke-others", "", onLaptop, "192.0.2.1", firefox).Body.String())
	fmt.Println("the phone's session:", send("GET", "/account/sessions", "", onPhone, "198.51.100.7", safari).Code)

	fmt.Print(send("GET", "/account/activity", "", onLaptop, "192.0.2.1", firefox).Body.String())
	// Output:
	// notice: new_sign_in from 198.51.100.7
	// current true, from 192.0.2.1, Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0
	// current false, from 198.51.100.7, Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1
	// a session with no details
	// a label that is none of mine: 404
	// signed out of 2 other sessions
	// the phone's session: 401
	// session_revoked 192.0.2.1 others
	// login 198.51.100.7 password
	// login_failed 198.51.100.7 password
	// login 192.0.2.1 password
	// signup 192.0.2.1 username
}

// A verified email change: the new address must follow a single-use link
// before the change applies, and the old address hears of it twice.
func Example_emailChange() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if _, err := luciapg.MigrateConnString(ctx, os.Getenv("DATABASE_URL")); err != nil {
		log.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS email TEXT UNIQUE`); err != nil {
		log.Fatal(err)
	}
	notices := make(chan auth.Notice, 10)
	a, err := auth.New(luciapg.New(pool), auth.Config{
		Notifier: auth.NotifierFunc(func(ctx context.Context, n auth.Notice) error { notices <- n; return nil }),
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = a.CreateUser(ctx, auth.CreateUserParams{
		Key:        &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "dorothy", Password: "correct horse"},
		Attributes: map[string]any{"email": "dorothy@old.example"},
	})
	if err != nil {
		log.Fatal(err)
	}
	// A fresh login is in sudo mode.
	result, err := a.BeginLogin(ctx, "username", "dorothy", "correct horse")
	if err != nil {
		log.Fatal(err)
	}
	session := result.Session

	changes, err := tokens.NewEmailChanges(a, tokens.EmailChangeConfig{Column: "email", ExpiresIn: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	token, err := changes.Begin(ctx, session, "dorothy@new.example")
	if err != nil {
		log.Fatal(err)
	}
	// Mail a link with token.Value to the new address; the old one gets a notice.
	notice := <-notices
	fmt.Println("notice:", notice.Kind, "to", notice.To)

	// The link followed: the change applies, once.
	user, err := changes.Confirm(ctx, token.Value)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("email:", user.Attributes["email"])
	_, err = changes.Confirm(ctx, token.Value)
	fmt.Println("the link again:", err)
	notice = <-notices
	fmt.Println("notice:", notice.Kind, "to", notice.To)
	// Output:
	// notice: email_change_requested to dorothy@old.example
	// email: dorothy@new.example
	// the link again: INVALID_TOKEN
	// notice: email_changed to dorothy@old.example
}
