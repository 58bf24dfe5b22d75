package luciapg_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

// A second factor over HTTP: a user with an authenticator app logs in in
// two steps, and the account page needs both. This is the README's second
// example.
func Example_secondFactor() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if _, err := luciapg.MigrateConnString(ctx, os.Getenv("DATABASE_URL")); err != nil {
		log.Fatal(err)
	}
	sealingKey := make([]byte, 32) // in production: from your secret store
	_, _ = rand.Read(sealingKey)

	// Authenticator-app secrets are stored sealed with this key.
	a, err := auth.New(luciapg.New(pool), auth.Config{
		SecretKeys: []auth.SecretKey{{ID: "2026-12", Key: sealingKey}},
	})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := authhttp.New(a, authhttp.Config{SecondFactorPath: "/login/code"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	// Step one, the password: a user with a second factor gets a pending
	// login (a cookie bound to the client), not a session.
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		result, err := sessions.BeginLogin(r.Context(), w, "username", r.FormValue("username"), r.FormValue("password"))
		switch {
		case authhttp.TooManyAttempts(w, err):
		case err != nil:
			http.Error(w, "wrong username or password", http.StatusUnauthorized)
		case result.Pending != nil:
			http.Redirect(w, r, "/login/code", http.StatusSeeOther)
		}
	})
	// Step two, the code from the app (throttled, each code good once).
	mux.HandleFunc("POST /login/code", func(w http.ResponseWriter, r *http.Request) {
		session, err := a.CompleteLoginWithTOTP(r.Context(), sessions.PendingLoginToken(r), r.FormValue("code"))
		if authhttp.TooManyAttempts(w, err) {
			return
		}
		if err != nil {
			http.Error(w, "wrong code", http.StatusUnauthorized)
			return
		}
		sessions.CompleteLogin(w, session)
	})
	// The account needs the second factor of a user who has one, whoever
	// made the session (a Lucia v1 app too).
	account := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "your account") })
	mux.Handle("GET /account", sessions.RequireSession(sessions.RequireSecondFactor(account)))
	handler := sessions.Middleware(mux)

	// A user who set up an authenticator app: its secret is what the app
	// holds (shown as a QR code and a key, then confirmed with a code).
	_, err = a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "grace", Password: "correct horse"}})
	if err != nil {
		log.Fatal(err)
	}
	first, _ := a.BeginLogin(ctx, "username", "grace", "correct horse")
	enrolment, err := a.BeginTOTPEnrollment(ctx, first.Session, "grace")
	if err != nil {
		log.Fatal(err)
	}
	app := func(at time.Time) string { code, _ := totp.GenerateCode(enrolment.Secret, at); return code }
	if err := a.ConfirmTOTPEnrollment(ctx, first.Session, app(time.Now())); err != nil {
		log.Fatal(err)
	}

	// What a browser would send.
	send := func(method, path, form string, cookies []*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "https://example.com"+path, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.RemoteAddr = "192.0.2.1:50000"
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	login := send("POST", "/login", url.Values{"username": {"grace"}, "password": {"correct horse"}}.Encode(), nil)
	pending := login.Result().Cookies()
	fmt.Println("password:", login.Code, "to", login.Header().Get("Location"), "with cookie", pending[0].Name)
	fmt.Println("account after the password alone:", send("GET", "/account", "", pending).Code)
	// The next step's code: the one confirmed above is used up.
	code := send("POST", "/login/code", url.Values{"code": {app(time.Now().Add(30 * time.Second))}}.Encode(), pending)
	fmt.Println("the right code:", code.Code)
	fmt.Println("account:", send("GET", "/account", "", code.Result().Cookies()).Body.String())
	// Output:
	// password: 303 to /login/code with cookie __Host-luciapg_pending_login
	// account after the password alone: 401
	// the right code: 200
	// account: your account
}
