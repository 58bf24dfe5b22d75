package main

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

// appConfig is how the app is served. The zero value is for production:
// Secure cookies, whatever address the server listens on (behind a TLS
// proxy it listens on loopback).
type appConfig struct {
	// insecureDevCookies drops the cookie's Secure attribute, for
	// development over plain HTTP on this machine (the
	// -insecure-dev-cookies flag; `make webapp` sets it).
	insecureDevCookies bool
	// origin is the public origin when behind a proxy; form posts from it
	// are accepted besides the request's own origin.
	origin string
	// clientAddressHeader names the header a trusted reverse proxy sets to
	// the client's address, such as X-Forwarded-For; empty means the
	// direct peer. Behind a proxy every client would otherwise share the
	// proxy's address and its one budget of login attempts.
	clientAddressHeader string
	// mailer sends verification, password-reset and email-change mail
	// and security notices; nil means the outbox table (outboxMailer).
	mailer Mailer
	// now is the clock of the app's own throttles and of the OAuth state;
	// nil means time.Now. Give it the auth core's clock (auth.Config.Now).
	now func() time.Time
	// publicURL is the origin links in mail and the OAuth callback start
	// with: -origin, or the address served on (serve sets it). Empty
	// means origin.
	publicURL string
	// oauth is the "Sign in with ..." provider; none without a client id.
	oauth oauthConfig
	// totpSecretKeys is $TOTP_SECRET_KEYS (parseTOTPKeys), used when the
	// auth core's configuration names no SecretKeys.
	totpSecretKeys string
}

// newApp builds the app on the database db, with an auth core configured
// by authCfg, or fails when cfg.origin is not an origin. With insecure
// development cookies it says so in the log, so a production server
// started that way does not go unnoticed.
//
// db holds luciapg's tables and the example's own (the outbox, the email
// column); nil only in tests that serve no request.
func newApp(db *pgxpool.Pool, authCfg auth.Config, log *slog.Logger, cfg appConfig) (_ *app, err error) {
	if db != nil && db.Config().MaxConns < minPoolConns {
		return nil, fmt.Errorf("DATABASE_URL: pool_max_conns=%d; the app needs at least %d", db.Config().MaxConns, minPoolConns)
	}
	store := luciapg.New(db)
	if cfg.mailer == nil {
		cfg.mailer = outboxMailer{db: db}
	}
	// Security notices go out through the app's mail, and name devices as
	// the account page does.
	if authCfg.Notifier == nil {
		authCfg.Notifier = mailNotifier{users: store, mailer: cfg.mailer, log: log}
	}
	if authCfg.DescribeDevice == nil {
		authCfg.DescribeDevice = describeDevice
	}
	if len(authCfg.SecretKeys) == 0 {
		if authCfg.SecretKeys, err = parseTOTPKeys(cfg.totpSecretKeys); err != nil {
			return nil, err
		}
	}
	if authCfg.TOTPIssuer == "" {
		authCfg.TOTPIssuer = "luciapg example"
	}
	core, err := auth.New(store, authCfg)
	if err != nil {
		return nil, err
	}
	if len(authCfg.SecretKeys) == 0 {
		log.Warn("no $TOTP_SECRET_KEYS: authenticator apps are off (set it to id:key, the key from openssl rand -base64 32)")
	}
	var trusted []string
	if cfg.origin != "" {
		trusted = []string{cfg.origin}
	}
	if cfg.insecureDevCookies {
		log.Warn("insecure development cookies: session cookies lack Secure; never use -insecure-dev-cookies in production")
	}
	sessions, err := authhttp.New(core, authhttp.Config{
		LocalDevelopment:    cfg.insecureDevCookies,
		TrustedOrigins:      trusted,
		ClientAddressHeader: cfg.clientAddressHeader,
		Logger:              log,
		SecondFactorPath:    sessionSecondStepPath,
		SudoPath:            sudoPath,
	})
	if err != nil {
		return nil, fmt.Errorf("-origin: %w", err)
	}
	a := &app{
		auth:     core,
		db:       db,
		log:      log,
		secure:   !cfg.insecureDevCookies,
		sessions: sessions,
		linkBase: strings.TrimSuffix(cmp.Or(cfg.publicURL, cfg.origin), "/"),
		mailer:   cfg.mailer,
		now:      cfg.now,

		totpAvailable: len(authCfg.SecretKeys) > 0,
	}
	if a.now == nil {
		a.now = time.Now
	}
	cfg.publicURL, cfg.now = a.linkBase, a.now
	if a.oauth, a.oauthOrigin, err = newOAuthFlow(core, cfg); err != nil {
		return nil, err
	}
	// The button only for a provider one can sign in with: -oauth-provider
	// defaults to github, with no client id.
	if a.oauth != nil {
		a.oauthName = cmp.Or(cfg.oauth.Name, cfg.oauth.ProviderID)
	} else if o := cfg.oauth; o.ClientSecret != "" || o.AuthURL != "" || o.TokenURL != "" || o.UserURL != "" {
		log.Warn("no -oauth-client-id: signing in with another site is off, whatever the other -oauth-* flags or $OAUTH_CLIENT_SECRET say")
	}
	if db != nil {
		a.throttle = store
	}
	a.txTurns = make(chan struct{}, txTurnCount(db))
	if a.verifications, a.resets, err = newLinks(core); err != nil {
		return nil, err
	}
	if a.emailChanges, err = newEmailChanges(core); err != nil {
		return nil, err
	}
	if a.passkeys, err = newPasskeys(core, a.linkBase, a.now, log); err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return a, nil
}

// withSessions puts every route behind the auth core's middleware: it
// refuses cross-origin form posts, validates the session cookie (renewing
// or clearing it) and puts the session and user in the request context.
func (a *app) withSessions(next http.Handler) http.Handler {
	return a.sessions.Middleware(next)
}

// currentSession returns the request's valid session and its user.
func currentSession(r *http.Request) (auth.Session, luciapg.User, bool) {
	return authhttp.FromContext(r.Context())
}

// hadSessionCookie reports whether the browser sent a session cookie: with
// no valid session in the context, that means it expired or was revoked.
func hadSessionCookie(r *http.Request) bool {
	cookie, err := r.Cookie(authhttp.DefaultCookieName)
	return err == nil && cookie.Value != ""
}

// setSessionCookie signs this browser in with a session created in a
// transaction, once it committed.
func (a *app) setSessionCookie(w http.ResponseWriter, session auth.Session) {
	http.SetCookie(w, a.sessions.Cookie(session))
}

// startSession signs the user in on this browser, with a session
// recorded as made by factors now: like a login's, it is in sudo mode for
// its first minutes, and it has proven what factors name. (A session
// without that record would count as password-only, never fresh.)
func (a *app) startSession(w http.ResponseWriter, r *http.Request, userID string, factors ...string) error {
	session, err := a.auth.CreateSessionWithFactors(r.Context(), userID, factors...)
	if err != nil {
		return err
	}
	a.setSessionCookie(w, session)
	return nil
}

// endSession signs this browser out.
func (a *app) endSession(w http.ResponseWriter, r *http.Request) error {
	return a.sessions.Logout(w, r)
}

// clearSessionCookie deletes the browser's session cookie, after its
// session was invalidated some other way.
func (a *app) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, a.sessions.BlankCookie())
}
