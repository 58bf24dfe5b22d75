package authhttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/luciapg/luciapg/auth"
)

// RequireSecondFactor passes a request to next only when its session has
// proven the user's second factor, if the user has one (see
// auth.Auth.RequireSecondFactor): a session made by a Lucia v1 app, or by
// a password alone, has not. Otherwise a GET or HEAD request is sent to
// Config.SecondFactorPath with its path in the next query parameter (see
// NextPath), and any other request, or any when that path is empty, gets
// 403 Forbidden. A request without a session gets 401, as RequireSession
// answers. Use it inside Middleware.
func (s *Sessions) RequireSecondFactor(next http.Handler) http.Handler {
	return s.requireProof(next, s.auth.RequireSecondFactor, auth.ErrSecondFactorRequired, s.secondFactorPath,
		"403 forbidden: this needs your second factor")
}

// RequireSudo passes a request to next only when its session is in sudo
// mode (see auth.Auth.RequireSudo): the user proved who they are within
// auth.Config.SudoPeriod, with their second factor if they have one.
// Otherwise it answers as RequireSecondFactor does, with Config.SudoPath.
// Use it inside Middleware, on the routes of sensitive actions.
func (s *Sessions) RequireSudo(next http.Handler) http.Handler {
	return s.requireProof(next, s.auth.RequireSudo, auth.ErrSudoRequired, s.sudoPath,
		"403 forbidden: confirm who you are first")
}

// requireProof is RequireSecondFactor and RequireSudo: check, whose
// refusal is refusal, sends the request to path (or 403 with message).
func (s *Sessions) requireProof(next http.Handler, check func(context.Context, auth.Session) error, refusal error, path, message string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, _, ok := FromContext(r.Context())
		if !ok {
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		err := check(r.Context(), session)
		switch {
		case err == nil:
			next.ServeHTTP(w, r)
		case errors.Is(err, refusal):
			if path == "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
				// A redirect would drop a form's body: the page that sent
				// it says what to do.
				http.Error(w, message, http.StatusForbidden)
				return
			}
			http.Redirect(w, r, withNext(path, r.URL.Path), http.StatusSeeOther)
		default:
			if s.logger != nil {
				s.logger.ErrorContext(r.Context(), "authhttp: checking the session's factors failed", slog.Any("error", err))
			}
			s.errorHandler(w, r, err)
		}
	})
}

// withNext is path with requestPath as its next query parameter, when that
// is a path on this site; only the path, so that a query string (which may
// hold a token) is not carried along.
func withNext(path, requestPath string) string {
	if !isLocalPath(requestPath) {
		return path
	}
	u, err := url.Parse(path)
	if err != nil {
		return path // New checked it; never reached
	}
	q := u.Query()
	q.Set("next", requestPath)
	u.RawQuery = q.Encode()
	return u.String()
}

// NextPath returns the request's next query parameter, where
// RequireSecondFactor and RequireSudo put the path they were refused, when
// it is a path on this site, and "/" otherwise: redirect there once the
// user has proven the factor. It never returns another site's address
// ("//evil.example", "https://…", "/\evil.example"), so a crafted link
// cannot make the page an open redirect.
func NextPath(r *http.Request) string {
	if next := r.URL.Query().Get("next"); isLocalPath(next) {
		return next
	}
	return "/"
}

// IsLocalPath reports whether p is a path on this site that every browser
// reads as one, by NextPath's rule: for a return path an application
// carries some other way than the next query parameter (a form field, a
// cookie), which it must check as NextPath does before redirecting to it.
func IsLocalPath(p string) bool { return isLocalPath(p) }

// isLocalPath reports whether p is a path on this site that every browser
// reads as one: it starts with a single "/" and holds no backslash (which
// browsers read as "/") and no control character (which they drop, so
// "/\t/evil.example" would become "//evil.example").
func isLocalPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, `\`) {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}
