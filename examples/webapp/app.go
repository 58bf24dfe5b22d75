package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/auth/oauth"
	"github.com/luciapg/luciapg/auth/passkey"
	"github.com/luciapg/luciapg/auth/tokens"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the templates, each parsed with the shared layout.
var pages = map[string]*template.Template{
	"signup":  parsePage("signup.html"),
	"login":   parsePage("login.html"),
	"account": parsePage("account.html"),

	"verify-email":    parsePage("verify-email.html"),
	"forgot-password": parsePage("forgot-password.html"),
	"reset-password":  parsePage("reset-password.html"),

	"second-factor":  parsePage("second-factor.html"),
	"sudo":           parsePage("sudo.html"),
	"security":       parsePage("security.html"),
	"totp-setup":     parsePage("totp-setup.html"),
	"recovery-codes": parsePage("recovery-codes.html"),
	"passkeys":       parsePage("passkeys.html"),
	"passkey-new":    parsePage("passkey-new.html"),

	"activity":      parsePage("activity.html"),
	"email-change":  parsePage("email-change.html"),
	"email-confirm": parsePage("email-confirm.html"),
}

// parsePage parses a page with the layout and the pieces pages share
// (partials.html).
func parsePage(name string) *template.Template {
	return template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", "templates/"+name))
}

// app is the example web application: handlers over the auth core.
type app struct {
	auth     *auth.Auth
	sessions *authhttp.Sessions
	log      *slog.Logger
	// secure is whether cookies are Secure, which also turns HSTS on.
	secure bool

	// db holds the example's own tables: the outbox and the email column.
	db *pgxpool.Pool
	// throttle counts requests that send mail, so nobody can flood an
	// inbox (the Store's attempt throttle, shared by every instance).
	throttle luciapg.AttemptThrottle
	now      func() time.Time
	mailer   Mailer
	// linkBase is the public origin links in mail start with: -origin, or
	// the address served on. Never the request's Host header, which a
	// client chooses: a reset link pointing at another site would hand it
	// the token.
	linkBase string
	// resets issues reset links. Every other use of a link, and every
	// handler making more than one write, runs in a transaction (inTx),
	// with the app's core over it (auth.Auth.WithAdapter), at most
	// cap(txTurns) at once.
	resets  *tokens.IDTokens
	txTurns chan struct{}
	// verifications issues and ends verification links outside a
	// transaction (ending them once the address changed).
	verifications *tokens.IDTokens
	// emailChanges changes a user's address once the new one has
	// received its link (email_change.go).
	emailChanges *tokens.EmailChanges
	// oauth is the "Sign in with ..." flow, nil when not configured, and
	// oauthName the provider's name on its button.
	oauth     *oauth.Flow
	oauthName string
	// oauthOrigin is the provider's authorization origin, where the link
	// button's form goes on to (the policy's form-action allows it).
	oauthOrigin string
	// totpAvailable is whether the auth core can seal authenticator-app
	// secrets ($TOTP_SECRET_KEYS, auth.Config.SecretKeys).
	totpAvailable bool
	// passkeys registers passkeys and signs in with them; nil when the
	// app is served where browsers allow none (an IP address).
	passkeys *passkey.Passkeys
	// background tracks work finished after its request's answer (a
	// reset link's lookup and mail); serve waits for it on shutdown.
	background sync.WaitGroup
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
	// Sessions are where the user is signed in, this device first.
	Sessions []sessionRow
	// Activity is a page of the user's recent events, newest first, and
	// MoreActivity the link to the next page ("" on the last).
	Activity     []activityRow
	MoreActivity string
	// PendingEmail is the address of a change waiting for its link, and
	// PendingUntil when the link stops working; "" when none waits.
	PendingEmail string
	PendingUntil string
	// Email is the signed-in user's address ("" when there is none), and
	// EmailVerified whether its link was followed.
	Email         string
	EmailVerified bool
	// HasPassword is whether the user has a password to change.
	HasPassword bool
	// Token is a verification or reset token carried from a link into its
	// form's hidden field.
	Token string
	// OAuthName names the "Sign in with ..." provider; empty when there is
	// none. OAuthLinked is whether the signed-in user has its key.
	OAuthName   string
	OAuthLinked bool

	// Factors are the user's second factors (on the second steps, the
	// sudo prompt and the security page), and TOTPAvailable and
	// PasskeysAvailable whether the app is configured for each kind.
	Factors           luciapg.UserFactors
	TOTPAvailable     bool
	PasskeysAvailable bool
	// Action is where a second step's forms post, and Next the local path
	// the user returns to after it or after the sudo prompt.
	Action string
	Next   string
	// Passkey is the purpose of the page's passkey button, for
	// static/passkey.js: "login", "second-factor", "session-second-factor",
	// "sudo" or "register"; empty for none.
	Passkey string
	// TOTPImage is the authenticator app's QR code as a data: URL, and
	// TOTPSecret its key for typing in by hand: shown once, at set-up.
	TOTPImage  template.URL
	TOTPSecret string
	// RecoveryCodes are new recovery codes, shown once.
	RecoveryCodes []string
	// Passkeys are the user's passkeys on the passkeys page.
	Passkeys []passkeyRow
}

// formValues are submitted values shown again after an error. Passwords
// never are.
type formValues struct {
	Username string
	Email    string
}

// routes returns the application's handler: every route behind the auth
// core's session middleware, which also refuses cross-origin form posts,
// and every answer with the browser's security headers.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /style.css", styleSheet)
	mux.HandleFunc("GET /passkey.js", passkeyScript)
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /signup", a.guestForm("signup", "Sign up"))
	mux.HandleFunc("POST /signup", a.signup)
	mux.HandleFunc("GET /login", a.guestForm("login", "Log in"))
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /account", a.account)
	mux.HandleFunc("POST /logout-all", a.logoutAll)
	// Where the user is signed in, and their recent activity
	// (signed_in.go, activity.go).
	mux.HandleFunc("POST "+revokeSessionPath, a.revokeSession)
	mux.HandleFunc("POST "+revokeOthersPath, a.revokeOtherSessions)
	mux.HandleFunc("GET "+activityPath, a.activityPage)
	// Changing the email address (email_change.go): the form needs sudo
	// mode; the mailed link's button applies the change.
	mux.Handle("GET "+emailChangePath, a.signedIn(a.sessions.RequireSudo(http.HandlerFunc(a.emailChangeForm))))
	mux.HandleFunc("POST "+emailChangePath, a.beginEmailChange)
	mux.HandleFunc("POST "+emailCancelPath, a.cancelEmailChange)
	mux.HandleFunc("GET "+emailConfirmPath, a.emailConfirmForm)
	mux.HandleFunc("POST "+emailConfirmPath, a.confirmEmailChange)
	mux.HandleFunc("POST /password", a.changePassword)
	mux.HandleFunc("POST /password/set", a.setPassword)
	mux.HandleFunc("POST /verify-email/resend", a.resendVerification)
	mux.HandleFunc("GET /verify-email", a.verifyEmailForm)
	mux.HandleFunc("POST /verify-email", a.verifyEmail)
	mux.HandleFunc("GET /forgot-password", a.guestForm("forgot-password", "Forgot your password?"))
	mux.HandleFunc("POST /forgot-password", a.forgotPassword)
	mux.HandleFunc("GET /reset-password", a.resetPasswordForm)
	mux.HandleFunc("POST /reset-password", a.resetPassword)
	mux.HandleFunc("GET /login/oauth", a.oauthStart)
	mux.HandleFunc("POST "+oauthLinkPath, a.oauthLink)
	mux.HandleFunc("GET "+oauthCallbackPath, a.oauthCallback)

	// The second step of a login, and of a session that has not proven
	// the user's second factor (second_factor.go).
	mux.HandleFunc("GET "+secondStepPath, a.secondStepForm)
	mux.HandleFunc("POST "+secondStepPath, a.secondStep)
	mux.HandleFunc("GET "+sessionSecondStepPath, a.sessionSecondStepForm)
	mux.HandleFunc("POST "+sessionSecondStepPath, a.sessionSecondStep)
	// Sudo mode: proving who you are again before a sensitive change
	// (sudo.go).
	mux.HandleFunc("GET "+sudoPath, a.sudoForm)
	mux.HandleFunc("POST "+sudoPath, a.sudo)
	mux.HandleFunc("POST "+sudoOAuthPath, a.sudoOAuth)
	// Passkeys (passkeys.go): pages, and the JSON ceremonies
	// static/passkey.js runs. Adding one starts on a page that needs sudo
	// mode, so that the prompt comes before the browser's own dialog.
	mux.HandleFunc("GET "+passkeysPath, a.passkeysPage)
	mux.Handle("GET "+newPasskeyPath, a.signedIn(a.sessions.RequireSudo(http.HandlerFunc(a.newPasskeyPage))))
	mux.HandleFunc("POST /account/passkeys/rename", a.renamePasskey)
	mux.HandleFunc("POST /account/passkeys/remove", a.removePasskey)
	mux.HandleFunc("POST /passkey/{purpose}/begin", a.beginPasskey)
	mux.HandleFunc("POST /passkey/{purpose}/finish", a.finishPasskey)
	// Authenticator app and recovery codes (security.go).
	mux.HandleFunc("GET "+securityPath, a.security)
	mux.HandleFunc("POST /account/totp", a.beginTOTP)
	mux.HandleFunc("POST /account/totp/confirm", a.confirmTOTP)
	mux.HandleFunc("POST /account/totp/remove", a.removeTOTP)
	mux.HandleFunc("POST /account/recovery-codes", a.regenerateRecoveryCodes)
	return securityHeaders(a.secure, a.oauthOrigin, limitBody(a.withSessions(mux)))
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
	data.OAuthName = a.oauthName
	data.TOTPAvailable = a.totpAvailable
	data.PasskeysAvailable = a.passkeys != nil
	if name == "login" && a.passkeys != nil {
		data.Passkey = "login"
	}
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
	a.logFailure(r, err)
	http.Error(w, "Something went wrong. Please try again.", http.StatusInternalServerError)
}

// logFailure logs a request that failed, for serverError and the JSON
// endpoints' answer.
func (a *app) logFailure(r *http.Request, err error) {
	a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
}

// drain finishes what the app does after its answers, before the database
// closes: mail being sent (reset links, and the security notices the auth
// core is sending, WaitNotices) and the sessions' last uses the auth core
// has not written yet. It gives up when ctx ends.
func (a *app) drain(ctx context.Context) error {
	a.background.Wait()
	return errors.Join(a.auth.FlushLastSeen(ctx), a.auth.WaitNotices(ctx))
}

// redirect sends the browser to path after a form post (303: the next
// request is a GET).
func redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}
