package authhttp_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/memadapter"
)

// A site with a login form and a page only logged-in users see.
func ExampleSessions_Middleware() {
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = a.CreateUser(context.Background(), auth.CreateUserParams{
		UserID: "user1",
		Key:    &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: "ada@example.com", Password: "hunter2!"},
	})
	sessions, err := authhttp.New(a, authhttp.Config{})
	if err != nil {
		log.Fatal(err) // a trusted origin that is not scheme://host[:port]
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		key, err := a.UseKey(r.Context(), "email", r.FormValue("email"), r.FormValue("password"))
		if authhttp.TooManyAttempts(w, err) { // 429 with Retry-After
			return
		}
		if err != nil {
			http.Error(w, "wrong email or password", http.StatusUnauthorized)
			return
		}
		if _, err := sessions.Login(r.Context(), w, key.UserID); err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
		}
	})
	mux.Handle("GET /account", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, user, _ := authhttp.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", user.ID)
	})))
	handler := sessions.Middleware(mux)

	// Log in; the form is posted from the site itself, and the browser says so.
	form := url.Values{"email": {"ada@example.com"}, "password": {"hunter2!"}}
	login := httptest.NewRequest(http.MethodPost, "https://example.com/login", strings.NewReader(form.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Sec-Fetch-Site", "same-origin")
	login.Header.Set("Origin", "https://example.com")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, login)
	cookie := rec.Result().Cookies()[0]
	fmt.Println("login:", rec.Code, cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteLaxMode)

	// The same form posted from another site is refused.
	forged := httptest.NewRequest(http.MethodPost, "https://example.com/login", strings.NewReader(form.Encode()))
	forged.Header.Set("Sec-Fetch-Site", "cross-site")
	forged.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, forged)
	fmt.Println("cross-site post:", rec.Code)

	// The cookie opens the account page.
	account := httptest.NewRequest(http.MethodGet, "https://example.com/account", nil)
	account.AddCookie(cookie)
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, account)
	fmt.Println("account:", rec.Code, rec.Body.String())

	// Without it, the page is refused.
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://example.com/account", nil))
	fmt.Println("anonymous:", rec.Code)
	// Output:
	// login: 200 auth_session true true true
	// cross-site post: 403
	// account: 200 hello user1
	// anonymous: 401
}
