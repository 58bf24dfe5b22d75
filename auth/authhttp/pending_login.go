package authhttp

import (
	"context"
	"net/http"
	"time"

	"github.com/luciapg/luciapg/auth"
)

// pendingCookieBase is the pending-login cookie's name without its prefix.
const pendingCookieBase = "luciapg_pending_login"

// pendingCookieName is the pending-login cookie's name: "__Host-"-prefixed
// when it is Secure, so that the browser takes it only from this host,
// over HTTPS, for Path=/ (a sibling subdomain cannot plant one); without
// Secure (Config.LocalDevelopment) the prefix would make browsers drop it.
func pendingCookieName(secure bool) string {
	if secure {
		return "__Host-" + pendingCookieBase
	}
	return pendingCookieBase
}

// BeginLogin is a password login that may need a second step
// (auth.Auth.BeginLogin): for a user without a second factor it sets the
// session cookie, as LoginWithPassword does; for one with a second factor
// it sets the pending-login cookie instead, and the result's Pending says
// which factors can finish it. Call it behind Middleware, which puts the
// client's address in ctx: the pending login is bound to it. Answer its
// errors as LoginWithPassword's.
func (s *Sessions) BeginLogin(ctx context.Context, w http.ResponseWriter, providerID, providerUserID, password string) (auth.LoginResult, error) {
	result, err := s.auth.BeginLogin(ctx, providerID, providerUserID, password)
	if err != nil {
		return auth.LoginResult{}, err
	}
	s.setLoginResult(w, result)
	return result, nil
}

// BeginLoginForUser is BeginLogin for a first factor the application
// proved itself (auth.Auth.BeginLoginForUser: luciapg.FactorOAuth after an
// OAuth sign-in).
func (s *Sessions) BeginLoginForUser(ctx context.Context, w http.ResponseWriter, userID, factor string) (auth.LoginResult, error) {
	result, err := s.auth.BeginLoginForUser(ctx, userID, factor)
	if err != nil {
		return auth.LoginResult{}, err
	}
	s.setLoginResult(w, result)
	return result, nil
}

func (s *Sessions) setLoginResult(w http.ResponseWriter, result auth.LoginResult) {
	if result.Pending != nil {
		http.SetCookie(w, s.PendingCookie(*result.Pending))
		return
	}
	s.CompleteLogin(w, result.Session)
}

// PendingLoginToken returns the pending login's token from the request's
// cookie, or "": give it to auth.Auth.CompleteLoginWithTOTP (or another
// CompleteLogin…), then call CompleteLogin with the session.
func (s *Sessions) PendingLoginToken(r *http.Request) string {
	cookie, err := r.Cookie(s.pendingCookieName)
	if err != nil {
		return ""
	}
	return cookie.Value
}

// CompleteLogin sets the cookie of a session a login just made and clears
// the pending-login cookie.
func (s *Sessions) CompleteLogin(w http.ResponseWriter, session auth.Session) {
	http.SetCookie(w, s.Cookie(session))
	http.SetCookie(w, s.BlankPendingCookie())
}

// PendingCookie returns the pending-login cookie for pending, expiring with
// it: HttpOnly, SameSite=Lax, Path=/, and Secure with the "__Host-" prefix
// unless Config.LocalDevelopment.
func (s *Sessions) PendingCookie(pending auth.PendingLogin) *http.Cookie {
	return &http.Cookie{
		Name:     s.pendingCookieName,
		Value:    pending.Token,
		Path:     "/",
		Expires:  pending.Expires,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// BlankPendingCookie returns a cookie that deletes the pending-login
// cookie.
func (s *Sessions) BlankPendingCookie() *http.Cookie {
	c := s.PendingCookie(auth.PendingLogin{Expires: time.Unix(0, 0)})
	c.MaxAge = -1
	return c
}
