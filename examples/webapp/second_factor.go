package main

import (
	"errors"
	"net/http"

	"github.com/luciapg/luciapg/auth"
)

// The second step of a login, for a user with a second factor (an
// authenticator app or a passkey), and of a session that has not proven
// it.
const (
	// secondStepPath is the page of a login whose password (or provider
	// sign-in) passed and whose second factor is awaited: a pending login,
	// named by the pending-login cookie, with no session yet.
	secondStepPath = "/login/second-factor"
	// sessionSecondStepPath is the page of a session that has not proven
	// the user's second factor (one a Lucia v1 app made with the password
	// alone): it upgrades that session in place.
	sessionSecondStepPath = "/second-factor"
)

// finishFirstStep ends a login's first step (a password, a provider's
// sign-in): a session when the user has no second factor, sent on to
// next; otherwise authhttp's pending-login cookie (HttpOnly, __Host-
// prefixed when Secure, SameSite=Lax so that it rides the redirect back
// from an OAuth provider) and the second step's page.
func (a *app) finishFirstStep(w http.ResponseWriter, r *http.Request, res auth.LoginResult, next string) {
	if res.Pending != nil {
		http.SetCookie(w, a.sessions.PendingCookie(*res.Pending))
		redirect(w, r, secondStepPath)
		return
	}
	a.sessions.CompleteLogin(w, res.Session)
	redirect(w, r, next)
}

// secondStepForm shows a pending login's second step: the user's
// authenticator app, passkeys and recovery codes.
func (a *app) secondStepForm(w http.ResponseWriter, r *http.Request) {
	data := pageData{}
	flash(&data, r.URL.Query().Get("m"))
	a.showSecondStep(w, r, http.StatusOK, data)
}

// showSecondStep renders the pending login's second step, or sends the
// browser back to the login page when there is no such login (any more).
func (a *app) showSecondStep(w http.ResponseWriter, r *http.Request, status int, data pageData) {
	pending, err := a.auth.GetPendingLogin(r.Context(), a.sessions.PendingLoginToken(r))
	if errors.Is(err, auth.ErrInvalidPendingLogin) {
		http.SetCookie(w, a.sessions.BlankPendingCookie())
		redirect(w, r, "/login?m=second-step-expired")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	data.Title = "Two-step login"
	data.Factors = pending.Methods
	data.Action = secondStepPath
	data.Passkey = "second-factor"
	a.render(w, r, status, "second-factor", data)
}

// secondStep finishes a pending login with an authenticator-app code or a
// recovery code: the session, then the account page (the security page
// after a recovery code, to see how many are left).
func (a *app) secondStep(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token, code := a.sessions.PendingLoginToken(r), r.PostFormValue("code")
	var (
		session auth.Session
		err     error
		next    = "/account"
	)
	switch r.PostFormValue("method") {
	case "totp":
		session, err = a.auth.CompleteLoginWithTOTP(ctx, token, code)
	case "recovery-code":
		session, err = a.auth.CompleteLoginWithRecoveryCode(ctx, token, code)
		next = securityPath + "?m=recovery-code-used"
	default:
		http.Error(w, "Unknown second factor.", http.StatusBadRequest)
		return
	}
	if msg, ok := throttled(w, err); ok {
		a.showSecondStep(w, r, http.StatusTooManyRequests, pageData{Error: msg})
		return
	}
	switch {
	case errors.Is(err, auth.ErrInvalidCode):
		a.showSecondStep(w, r, http.StatusUnauthorized, pageData{Error: wrongCode})
		return
	case errors.Is(err, auth.ErrInvalidPendingLogin):
		// Expired, finished already, begun by another client, or the
		// password was changed since: start again.
		http.SetCookie(w, a.sessions.BlankPendingCookie())
		redirect(w, r, "/login?m=second-step-expired")
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.finishFirstStep(w, r, auth.LoginResult{Session: session}, next)
}

// wrongCode answers a wrong, malformed or used code, whichever it was.
const wrongCode = "That code is wrong or was already used. Please try again."

// sessionSecondStepForm shows the second step of a session that has not
// proven the user's second factor; one that has goes on to next.
func (a *app) sessionSecondStepForm(w http.ResponseWriter, r *http.Request) {
	session, _, ok := a.requireSessionOnly(w, r)
	if !ok {
		return
	}
	next := localPath(r.URL.Query().Get("next"))
	err := a.auth.RequireSecondFactor(r.Context(), session)
	if err == nil {
		redirect(w, r, next)
		return
	}
	if !errors.Is(err, auth.ErrSecondFactorRequired) {
		a.serverError(w, r, err)
		return
	}
	data := pageData{}
	flash(&data, r.URL.Query().Get("m"))
	a.showSessionSecondStep(w, r, http.StatusOK, next, data)
}

// showSessionSecondStep renders the second step of the request's session.
func (a *app) showSessionSecondStep(w http.ResponseWriter, r *http.Request, status int, next string, data pageData) {
	session, user, _ := currentSession(r)
	_, methods, err := a.auth.SessionFactors(r.Context(), session)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	data.Title = "Two-step login"
	data.Username = displayName(user)
	data.Factors = methods
	data.Action = sessionSecondStepPath
	data.Next = next
	data.Passkey = "session-second-factor"
	a.render(w, r, status, "second-factor", data)
}

// sessionSecondStep upgrades the request's session with an
// authenticator-app code or a recovery code, then goes on to next.
func (a *app) sessionSecondStep(w http.ResponseWriter, r *http.Request) {
	session, _, ok := a.requireSessionOnly(w, r)
	if !ok {
		return
	}
	next := localPath(r.PostFormValue("next"))
	code := r.PostFormValue("code")
	var err error
	switch r.PostFormValue("method") {
	case "totp":
		err = a.auth.ReauthenticateWithTOTP(r.Context(), session, code)
	case "recovery-code":
		err = a.auth.ReauthenticateWithRecoveryCode(r.Context(), session, code)
	default:
		http.Error(w, "Unknown second factor.", http.StatusBadRequest)
		return
	}
	if msg, ok := throttled(w, err); ok {
		a.showSessionSecondStep(w, r, http.StatusTooManyRequests, next, pageData{Error: msg})
		return
	}
	if errors.Is(err, auth.ErrInvalidCode) {
		a.showSessionSecondStep(w, r, http.StatusUnauthorized, next, pageData{Error: wrongCode})
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, next)
}
