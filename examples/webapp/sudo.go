package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
)

// Sudo mode: before a sensitive change (a password, a way to sign in, a
// second factor, signing out everywhere) the user proves who they are
// again, unless they did in this session within the auth core's
// SudoPeriod (a login counts). Whoever holds a stolen session has no
// password, code or passkey to prove it with, so cannot lock the owner
// out or keep a way in.
const (
	// sudoPath is the prompt: GET shows it, POST checks a password or a
	// code.
	sudoPath = "/sudo"
	// sudoOAuthPath starts "Sign in again with ...", the prompt of a user
	// without a password.
	sudoOAuthPath = "/sudo/oauth"
)

// requireSudo reports whether the session is in sudo mode; if not, it
// sends the browser to the prompt (toSudoPrompt).
func (a *app) requireSudo(w http.ResponseWriter, r *http.Request, session auth.Session, back string) bool {
	err := a.auth.RequireSudo(r.Context(), session)
	if a.toSudoPrompt(w, r, err, back) {
		return false
	}
	if err != nil {
		a.serverError(w, r, err)
		return false
	}
	return true
}

// toSudoPrompt answers err when it is auth.ErrSudoRequired, from
// RequireSudo or from a call that checks sudo mode itself (setting up or
// removing the authenticator app, new recovery codes, removing a
// passkey), and reports whether it did: it sends the browser to the
// prompt, which returns to back afterwards (the page whose form needs it:
// the user submits it again).
func (a *app) toSudoPrompt(w http.ResponseWriter, r *http.Request, err error, back string) bool {
	if !errors.Is(err, auth.ErrSudoRequired) {
		return false
	}
	redirect(w, r, withNext(sudoPath, returnPath(r, back)))
	return true
}

// sudoForm shows the prompt, or goes straight on to next when the session
// is in sudo mode already.
func (a *app) sudoForm(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	next := localPath(r.URL.Query().Get("next"))
	err := a.auth.RequireSudo(r.Context(), session)
	if err == nil {
		redirect(w, r, next)
		return
	}
	if !errors.Is(err, auth.ErrSudoRequired) {
		a.serverError(w, r, err)
		return
	}
	a.showSudo(w, r, http.StatusOK, session, user, next, pageData{})
}

// showSudo renders the prompt with the ways this user can prove who they
// are: the password (for a user with one), the authenticator app, a
// passkey, a recovery code, or a fresh sign-in with the provider (for a
// user without a password).
func (a *app) showSudo(w http.ResponseWriter, r *http.Request, status int, session auth.Session, user luciapg.User, next string, data pageData) {
	_, methods, err := a.auth.SessionFactors(r.Context(), session)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if data.OAuthLinked, err = a.oauthLinked(r, user.ID); err != nil {
		a.serverError(w, r, err)
		return
	}
	data.Title = "Confirm it’s you"
	data.Username = displayName(user)
	data.HasPassword = hasUsername(user)
	data.Factors = methods
	data.Next = next
	data.Action = sudoPath
	data.Passkey = "sudo"
	a.render(w, r, status, "sudo", data)
}

// sudo checks the prompt's password or code, then goes on to next.
func (a *app) sudo(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	next := localPath(r.PostFormValue("next"))
	var err error
	wrong := wrongCode
	switch r.PostFormValue("method") {
	case "password":
		username, _ := user.Attributes["username"].(string)
		password := r.PostFormValue("password")
		wrong = "Your password is wrong. Please try again."
		if username == "" || password == "" {
			err = auth.ErrInvalidPassword
			break
		}
		err = a.auth.ReauthenticateWithPassword(ctx, session, usernameProvider, username, password)
		if errors.Is(err, auth.ErrPasswordTooLong) || errors.Is(err, luciapg.ErrInvalidKeyID) {
			err = auth.ErrInvalidPassword
		}
	case "totp":
		err = a.auth.ReauthenticateWithTOTP(ctx, session, r.PostFormValue("code"))
	case "recovery-code":
		err = a.auth.ReauthenticateWithRecoveryCode(ctx, session, r.PostFormValue("code"))
	default:
		http.Error(w, "Unknown way to confirm who you are.", http.StatusBadRequest)
		return
	}
	if msg, ok := throttled(w, err); ok {
		a.showSudo(w, r, http.StatusTooManyRequests, session, user, next, pageData{Error: msg})
		return
	}
	if errors.Is(err, auth.ErrInvalidPassword) || errors.Is(err, auth.ErrInvalidCode) {
		a.showSudo(w, r, http.StatusUnauthorized, session, user, next, pageData{Error: wrong})
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, next)
}

// sudoOAuth starts "Sign in again with ...": it marks the browser with
// the sudo intent, bound to this session and carrying next, and sends it
// to the provider. The callback (oauthSudoCallback) accepts only the
// provider account linked to this session's user.
func (a *app) sudoOAuth(w http.ResponseWriter, r *http.Request) {
	if a.oauth == nil {
		http.NotFound(w, r)
		return
	}
	session, _, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	next := localPath(r.PostFormValue("next"))
	http.SetCookie(w, a.sudoIntentCookie(sudoIntent(session.ID, next), int(oauth.DefaultStateTTL/time.Second)))
	http.Redirect(w, r, a.oauth.Start(w), http.StatusSeeOther)
}

// sudoIntentCookie carries the sudo intent from sudoOAuth to the
// callback, which re-authenticates only the session it names; HttpOnly
// and __Host- prefixed when Secure, like the link intent's.
func (a *app) sudoIntentCookie(value string, maxAge int) *http.Cookie {
	return a.intentCookie("oauth_sudo", value, maxAge)
}

// sudoIntent is the sudo intent cookie's value: a digest of the session
// id (never the id itself), then the path to return to.
func sudoIntent(sessionID, next string) string {
	return sessionDigest(sessionID) + "." + base64.RawURLEncoding.EncodeToString([]byte(next))
}

func sessionDigest(sessionID string) string {
	sum := sha256.Sum256([]byte("webapp-oauth-sudo\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sudoIntended returns the path the sudo intent cookie carries when it
// names this session.
func (a *app) sudoIntended(r *http.Request, sessionID string) (next string, ok bool) {
	c, err := r.Cookie(a.sudoIntentCookie("", 0).Name)
	if err != nil {
		return "", false
	}
	digest, encoded, found := strings.Cut(c.Value, ".")
	if !found || subtle.ConstantTimeCompare([]byte(digest), []byte(sessionDigest(sessionID))) != 1 {
		return "", false
	}
	path, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", false
	}
	return localPath(string(path)), true
}

// oauthSudoCallback finishes "Sign in again with ...": the provider
// account must be the one linked to the session's user, and nothing is
// written but the session's freshness (auth/oauth's Reauthenticate).
func (a *app) oauthSudoCallback(w http.ResponseWriter, r *http.Request, session auth.Session, user luciapg.User, next string) {
	_, err := a.oauth.Reauthenticate(w, r, session)
	if errors.Is(err, oauth.ErrNotLinkedToUser) {
		a.showSudo(w, r, http.StatusForbidden, session, user, next, pageData{Error: "That " + a.oauthName + " account is not the one linked to yours. Sign in with the one you use here."})
		return
	}
	if err != nil {
		status, msg := a.oauthFailure(w, err)
		if status == http.StatusInternalServerError {
			a.serverError(w, r, err)
			return
		}
		a.showSudo(w, r, status, session, user, next, pageData{Error: msg})
		return
	}
	redirect(w, r, next)
}
