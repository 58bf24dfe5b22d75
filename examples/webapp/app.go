package main

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the templates, each parsed with the shared layout.
var pages = map[string]*template.Template{
	"signup":  parsePage("signup.html"),
	"login":   parsePage("login.html"),
	"account": parsePage("account.html"),
}

func parsePage(name string) *template.Template {
	return template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name))
}

// app is the example web application: handlers over the auth core.
type app struct {
	auth     *auth.Auth
	sessions *authhttp.Sessions
	log      *slog.Logger
	// secure is whether cookies are Secure, which also turns HSTS on.
	secure bool
}

// pageData is what every template renders.
type pageData struct {
	Title  string
	Error  string
	Notice string
	// Username is the signed-in user's name, for the header; empty when
	// nobody is signed in.
	Username string
	UserID   string
	Form     formValues
	Sessions []sessionRow
}

// formValues are submitted values shown again after an error. Passwords
// never are.
type formValues struct {
	Username string
}

// sessionRow is one of the user's sessions on the account page.
type sessionRow struct {
	Label       string
	Current     bool
	State       string
	ActiveUntil string
	Expires     string
}

// routes returns the application's handler: every route behind the auth
// core's session middleware, which also refuses cross-origin form posts,
// and every answer with the browser's security headers.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /style.css", styleSheet)
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /signup", a.guestForm("signup", "Sign up"))
	mux.HandleFunc("POST /signup", a.signup)
	mux.HandleFunc("GET /login", a.guestForm("login", "Log in"))
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /account", a.account)
	mux.HandleFunc("POST /logout-all", a.logoutAll)
	mux.HandleFunc("POST /password", a.changePassword)
	return securityHeaders(a.secure, limitBody(a.withSessions(mux)))
}

// maxFormBytes bounds a request body: the forms here are a few fields.
const maxFormBytes = 16 << 10

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next.ServeHTTP(w, r)
	})
}

// render writes a page, buffered so a template error becomes a clean 500.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		a.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// serverError logs err (never a password or session id: the auth core's
// errors carry none) and answers 500 without details.
func (a *app) serverError(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong. Please try again.", http.StatusInternalServerError)
}

// redirect sends the browser to path after a form post (303: the next
// request is a GET).
func redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}
