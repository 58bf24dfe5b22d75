package authhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// DefaultCookieName is Lucia v1's session cookie name.
const DefaultCookieName = "auth_session"

// Config adjusts Sessions. The zero value suits a site served over HTTPS.
type Config struct {
	// CookieName names the session cookie; empty means DefaultCookieName.
	CookieName string
	// LocalDevelopment drops the cookie's Secure attribute, for a server on
	// plain HTTP (http://localhost), where a browser would not send a
	// Secure cookie back. Never set it in production: without Secure the
	// session id travels in clear text. It is the only thing that drops
	// Secure: nothing is inferred from the request (a server behind a
	// TLS-terminating proxy sees plain HTTP). The CSRF check does not
	// depend on it.
	LocalDevelopment bool
	// TrustedOrigins are origins besides the request's own whose unsafe
	// (not GET, HEAD or OPTIONS) requests are accepted, such as
	// "https://app.example.com" for a front end on another host. Each must
	// be scheme://host[:port] with scheme http or https; case, a default
	// port and a trailing "/" are normalized away. New refuses any other.
	TrustedOrigins []string
	// ErrorHandler answers a request whose session could not be checked
	// for another reason than being invalid (the database is unreachable).
	// Nil means a plain 500 Internal Server Error.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger, when not nil, records those errors. Nothing else is logged,
	// and never a session id.
	Logger *slog.Logger
	// ClientAddressHeader names a header a trusted reverse proxy sets to
	// the client's address, such as "X-Forwarded-For"; its right-most
	// entry is used (see Sessions.ClientAddress). Empty means the direct
	// peer's address. Set it only behind a proxy that writes the header on
	// every request: a client reaching the server directly could
	// otherwise write it, and claim a new address with every guess.
	ClientAddressHeader string
	// SecondFactorPath is where RequireSecondFactor sends a GET or HEAD
	// request whose session has not proven the user's second factor, such
	// as "/login/second-factor", with the request's path in the next query
	// parameter. Empty means a plain 403 instead. It must be a path on this
	// site (starting with one "/").
	SecondFactorPath string
	// SudoPath is where RequireSudo sends a GET or HEAD request whose
	// session must re-authenticate, such as "/reauthenticate", likewise.
	SudoPath string
}

// Sessions ties an auth.Auth to HTTP requests. Make one with New; it is safe
// for concurrent use.
type Sessions struct {
	auth                *auth.Auth
	cookieName          string
	secure              bool
	crossOrigin         *http.CrossOriginProtection
	errorHandler        func(w http.ResponseWriter, r *http.Request, err error)
	logger              *slog.Logger
	clientAddressHeader string
	secondFactorPath    string
	sudoPath            string
	pendingCookieName   string
}

// New returns Sessions for a, or an error naming the first of
// cfg.TrustedOrigins that is not an origin: a mistyped origin would
// otherwise leave the front end it names refused, with nothing saying why.
func New(a *auth.Auth, cfg Config) (*Sessions, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: authhttp: nil *auth.Auth", luciapg.ErrInvalidConfig)
	}
	crossOrigin, err := newCrossOriginProtection(cfg.TrustedOrigins)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", luciapg.ErrInvalidConfig, err)
	}
	for _, p := range []struct{ name, path string }{{"SecondFactorPath", cfg.SecondFactorPath}, {"SudoPath", cfg.SudoPath}} {
		if p.path != "" && !isLocalPath(p.path) {
			return nil, fmt.Errorf("%w: authhttp: %s must be a path on this site, starting with a single /", luciapg.ErrInvalidConfig, p.name)
		}
	}
	s := &Sessions{
		auth:         a,
		cookieName:   cfg.CookieName,
		secure:       !cfg.LocalDevelopment,
		crossOrigin:  crossOrigin,
		errorHandler: cfg.ErrorHandler,
		logger:       cfg.Logger,
		// Header names are matched canonically; keep the configured one so.
		clientAddressHeader: http.CanonicalHeaderKey(strings.TrimSpace(cfg.ClientAddressHeader)),
		secondFactorPath:    cfg.SecondFactorPath,
		sudoPath:            cfg.SudoPath,
		pendingCookieName:   pendingCookieName(!cfg.LocalDevelopment),
	}
	if s.cookieName == "" {
		s.cookieName = DefaultCookieName
	}
	if s.errorHandler == nil {
		s.errorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
	}
	return s, nil
}

// Middleware refuses a cross-origin request (CheckCrossOrigin) with 403
// Forbidden before reading its cookie, validates the session, then calls
// next with the session and user in the context (see the package comment),
// and with the client's address (ClientAddress) and User-Agent header in
// it (auth.WithClient), for auth's per-address throttling and for the
// origin its sessions, audit events and notices record: a login handler
// behind Middleware gets them without a line of its own.
func (s *Sessions) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.CheckCrossOrigin(r) != nil {
			http.Error(w, "403 forbidden: cross-origin request", http.StatusForbidden)
			return
		}
		// Address and user agent in one context value: what the core
		// throttles by, and records with sessions, events and notices.
		// The request is copied once, with everything its context gets.
		ctx := auth.WithClient(r.Context(), s.ClientAddress(r), r.UserAgent())
		id, ok := requestCookie(r, s.cookieName)
		if !ok || id == "" {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		session, user, err := s.auth.ValidateSessionUser(ctx, id)
		switch {
		case errors.Is(err, luciapg.ErrInvalidSessionID):
			http.SetCookie(w, s.BlankCookie())
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		case err != nil:
			r = r.WithContext(ctx)
			if s.logger != nil {
				s.logger.ErrorContext(ctx, "authhttp: validating the session failed", slog.Any("error", err))
			}
			s.errorHandler(w, r, err)
			return
		}
		if session.Fresh {
			http.SetCookie(w, s.Cookie(session))
		}
		next.ServeHTTP(w, r.WithContext(NewContext(ctx, session, user)))
	})
}

// RequireSession answers 401 Unauthorized to a request without a valid
// session and passes the others to next. Use it inside Middleware.
func (s *Sessions) RequireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := FromContext(r.Context()); !ok {
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LoginWithPassword is a password login (auth.Auth.Login: throttled, and
// the session written only while the key still holds the password just
// checked, so a reset in between ends it) that then sets the session's
// cookie. It returns auth.Login's errors: answer ErrTooManyAttempts with
// TooManyAttempts, and every other refusal alike, so that the answer does
// not tell which accounts exist. A user with a second factor is refused
// with auth.ErrSecondFactorRequired: where users may have one, use
// BeginLogin.
func (s *Sessions) LoginWithPassword(ctx context.Context, w http.ResponseWriter, providerID, providerUserID, password string) (auth.Session, error) {
	session, err := s.auth.Login(ctx, providerID, providerUserID, password)
	if err != nil {
		return auth.Session{}, err
	}
	http.SetCookie(w, s.Cookie(session))
	return session, nil
}

// Login creates a session for the user and sets its cookie. Call it once
// the user has proved who they are by other means than a password (an
// OAuth account, a mailed link); for a password, LoginWithPassword does
// both steps without racing a password reset. The session has no factor
// record, so for a user with a second factor it fails RequireSecondFactor:
// where users may have one, use BeginLoginForUser.
func (s *Sessions) Login(ctx context.Context, w http.ResponseWriter, userID string) (auth.Session, error) {
	session, err := s.auth.CreateSession(ctx, userID)
	if err != nil {
		return auth.Session{}, err
	}
	http.SetCookie(w, s.Cookie(session))
	return session, nil
}

// Logout ends every session the request stands for — the one its cookie
// names and the one Middleware put in the context (the same id, since
// renewal keeps the id, but each is ended in case a caller's context says
// otherwise) — and clears the cookie. Afterwards neither id validates. The
// cookie is cleared even when invalidating fails. Each session ended is
// recorded in the audit log as a logout.
func (s *Sessions) Logout(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, s.BlankCookie())
	var ids []string
	if cookie, err := r.Cookie(s.cookieName); err == nil && cookie.Value != "" {
		ids = append(ids, cookie.Value)
	}
	if session, _, ok := FromContext(r.Context()); ok && !slices.Contains(ids, session.ID) {
		ids = append(ids, session.ID)
	}
	var errs []error
	for _, id := range ids {
		ctx := r.Context()
		if session, _, ok := FromContext(ctx); ok && session.ID == id {
			// The validated session says whose logout it is: the core
			// need not read it again to record the event.
			ctx = s.auth.AuditContext(ctx, luciapg.AuditLogout, session.UserID, session.ID, "")
		}
		errs = append(errs, s.auth.InvalidateSession(ctx, id))
	}
	return errors.Join(errs...)
}

// Cookie returns the session cookie for session, expiring with its idle
// period.
func (s *Sessions) Cookie(session auth.Session) *http.Cookie {
	return &http.Cookie{
		Name:     s.cookieName,
		Value:    session.ID,
		Path:     "/",
		Expires:  session.IdleExpires,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// BlankCookie returns a cookie that deletes the session cookie: empty and
// already expired.
func (s *Sessions) BlankCookie() *http.Cookie {
	return &http.Cookie{
		Name:     s.cookieName,
		Value:    "",
		Path:     "/",
		Expires:  time.Unix(0, 0),
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

type contextKey struct{}

type sessionAndUser struct {
	session auth.Session
	user    luciapg.User
}

// NewContext returns ctx carrying session and user, as Middleware does;
// handlers' tests can use it to fake a logged-in request.
func NewContext(ctx context.Context, session auth.Session, user luciapg.User) context.Context {
	return &sessionContext{Context: ctx, v: sessionAndUser{session: session, user: user}}
}

// sessionContext carries a session and its user: one allocation where
// context.WithValue makes two (the context and the boxed value), on every
// request with a valid session.
type sessionContext struct {
	context.Context
	v sessionAndUser
}

// Value implements context.Context.
func (c *sessionContext) Value(key any) any {
	if key == (contextKey{}) {
		return &c.v
	}
	return c.Context.Value(key)
}

// FromContext returns the session and user Middleware validated for the
// request, and false when it has none.
func FromContext(ctx context.Context) (auth.Session, luciapg.User, bool) {
	if v, ok := ctx.Value(contextKey{}).(*sessionAndUser); ok {
		return v.session, v.user, true
	}
	return auth.Session{}, luciapg.User{}, false
}
