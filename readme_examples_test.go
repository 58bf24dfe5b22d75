package luciapg_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

// The auth core on PostgreSQL: sign up, log in through a form, and
// validate the session cookie in an HTTP handler. This is the README's
// first example.
func Example_authCore() {
	ctx := context.Background()
	databaseURL := os.Getenv("DATABASE_URL") // postgres://user@host:5432/db

	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		log.Fatal(err)
	}
	// Create or update luciapg's tables, over a connection made as the
	// pool's are. Safe to run from every instance at start-up: concurrent
	// calls are serialized.
	if _, err := luciapg.Migrate(ctx, cfg.ConnConfig); err != nil {
		log.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// User attributes are columns of auth_user that your own migration adds.
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS username TEXT UNIQUE`); err != nil {
		log.Fatal(err)
	}
	a, err := auth.New(luciapg.New(pool), auth.Config{}) // Lucia v1's defaults
	if err != nil {
		log.Fatal(err)
	}

	// Sign up: a random user id, and the password key hashed as Lucia v1
	// does, written together in one statement.
	_, err = a.CreateUser(ctx, auth.CreateUserParams{
		Key:        &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "margaret", Password: "correct horse"},
		Attributes: map[string]any{"username": "margaret"},
	})
	if err != nil {
		log.Fatal(err)
	}

	sessions, err := authhttp.New(a, authhttp.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	// Log in: check the password (throttled per key and per client
	// address), then open a session and set its cookie; a password reset
	// in between ends it.
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		_, err := sessions.LoginWithPassword(r.Context(), w, "username", r.FormValue("username"), r.FormValue("password"))
		if authhttp.TooManyAttempts(w, err) { // 429 with Retry-After
			return
		}
		if err != nil {
			http.Error(w, "wrong username or password", http.StatusUnauthorized)
		}
	})
	// Validate: the middleware read the cookie's session (renewing an idle
	// one) and put it and its user in the context; RequireSession answers
	// 401 when there is none.
	mux.Handle("GET /account", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, user, _ := authhttp.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s, your session is %s", user.Attributes["username"], session.State)
	})))
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Logout(w, r); err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
		}
	})
	handler := sessions.Middleware(mux) // also refuses cross-site posts (CSRF)

	// What a browser would send.
	post := func(path, form string, cookie *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "https://example.com"+path, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	get := func(path string, cookie *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "https://example.com"+path, nil)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}

	wrong := post("/login", url.Values{"username": {"margaret"}, "password": {"wrong horse"}}.Encode(), nil)
	fmt.Println("wrong password:", wrong.Code)
	login := post("/login", url.Values{"username": {"margaret"}, "password": {"correct horse"}}.Encode(), nil)
	cookie := login.Result().Cookies()[0]
	fmt.Println("login:", login.Code, "cookie", cookie.Name, "of", len(cookie.Value), "characters")
	account := get("/account", cookie)
	fmt.Println("account:", account.Code, account.Body.String())
	fmt.Println("without the cookie:", get("/account", nil).Code)
	post("/logout", "", cookie)
	fmt.Println("after logout:", get("/account", cookie).Code)
	// Output:
	// wrong password: 401
	// login: 200 cookie auth_session of 40 characters
	// account: 200 hello margaret, your session is active
	// without the cookie: 401
	// after logout: 401
}
