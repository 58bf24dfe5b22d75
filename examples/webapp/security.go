package main

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// securityPath is the page of the user's second factors: the
// authenticator app, recovery codes and (on passkeysPath) passkeys.
const securityPath = "/account/security"

// security shows the second factors and what can be done with them.
func (a *app) security(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	data := pageData{}
	flash(&data, r.URL.Query().Get("m"))
	a.showSecurity(w, r, http.StatusOK, session, user, data)
}

func (a *app) showSecurity(w http.ResponseWriter, r *http.Request, status int, session auth.Session, user luciapg.User, data pageData) {
	_, methods, err := a.auth.SessionFactors(r.Context(), session)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	data.Title = "Two-step login"
	data.Username = displayName(user)
	data.Factors = methods
	a.render(w, r, status, "security", data)
}

// totpAccountName labels the app's entry in the authenticator app: the
// username, else the address, else the user id.
func totpAccountName(user luciapg.User) string {
	if name, ok := user.Attributes["username"].(string); ok && name != "" {
		return name
	}
	if addr, _ := userEmail(user); addr != "" {
		return addr
	}
	return user.ID
}

// beginTOTP (sudo) starts setting up an authenticator app: a new secret,
// shown once as a QR code and as text, and the form for its first code.
func (a *app) beginTOTP(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	// BeginTOTPEnrollment checks sudo mode itself.
	enrolment, err := a.auth.BeginTOTPEnrollment(r.Context(), session, totpAccountName(user))
	switch {
	case a.toSudoPrompt(w, r, err, securityPath):
		return
	case errors.Is(err, luciapg.ErrFactorExists):
		redirect(w, r, securityPath+"?m=totp-exists")
		return
	case errors.Is(err, auth.ErrSecondFactorsUnavailable):
		a.showSecurity(w, r, http.StatusConflict, session, user, pageData{Error: totpUnavailable})
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "totp-setup", pageData{
		Title:    "Set up an authenticator app",
		Username: displayName(user),
		// Made for this answer and never stored: the secret is kept
		// sealed only.
		TOTPImage:  template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(enrolment.QRCode)),
		TOTPSecret: groupsOfFour(enrolment.Secret),
	})
}

// totpUnavailable answers a set-up when the app has no key to seal
// secrets with.
const totpUnavailable = "Authenticator apps are not available here: the server has no $TOTP_SECRET_KEYS."

// groupsOfFour spaces a base32 secret for reading and typing ("ABCD EFGH
// ..."): authenticator apps ignore the spaces.
func groupsOfFour(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// confirmTOTP turns the set-up into a second factor with its first code,
// then shows ten new recovery codes, once.
func (a *app) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	err := a.auth.ConfirmTOTPEnrollment(r.Context(), session, r.PostFormValue("code"))
	if msg, ok := throttled(w, err); ok {
		a.render(w, r, http.StatusTooManyRequests, "totp-setup", pageData{Title: "Set up an authenticator app", Username: displayName(user), Error: msg})
		return
	}
	switch {
	case errors.Is(err, auth.ErrInvalidCode):
		a.render(w, r, http.StatusUnauthorized, "totp-setup", pageData{Title: "Set up an authenticator app", Username: displayName(user),
			Error: "That code is wrong. Check that your phone's clock is right and type the code the app shows now, or start over."})
		return
	case errors.Is(err, luciapg.ErrFactorNotFound):
		redirect(w, r, securityPath+"?m=totp-start-over")
		return
	case errors.Is(err, luciapg.ErrFactorExists):
		redirect(w, r, securityPath+"?m=totp-exists")
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.showNewRecoveryCodes(w, r, session, user, "Your authenticator app is set up: from now on, logging in asks for its code.")
}

// removeTOTP (sudo) removes the authenticator app; the recovery codes
// stay.
func (a *app) removeTOTP(w http.ResponseWriter, r *http.Request) {
	session, _, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	err := a.auth.DisableTOTP(r.Context(), session) // checks sudo mode
	switch {
	case a.toSudoPrompt(w, r, err, securityPath):
		return
	case errors.Is(err, luciapg.ErrFactorNotFound):
		redirect(w, r, securityPath)
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, securityPath+"?m=totp-removed")
}

// regenerateRecoveryCodes (sudo) replaces the recovery codes with ten new
// ones, shown once.
func (a *app) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	a.showNewRecoveryCodes(w, r, session, user, "These are your new recovery codes: the old ones no longer work.")
}

// showNewRecoveryCodes makes ten new recovery codes and shows them, once:
// only their hashes are stored.
func (a *app) showNewRecoveryCodes(w http.ResponseWriter, r *http.Request, session auth.Session, user luciapg.User, notice string) {
	codes, err := a.auth.GenerateRecoveryCodes(r.Context(), session) // checks sudo mode
	if a.toSudoPrompt(w, r, err, securityPath) {
		// After a set-up, sudo mode ended since it began: the app is on,
		// the codes wait for the user to confirm who they are.
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "recovery-codes", pageData{Title: "Your recovery codes", Username: displayName(user), Notice: notice, RecoveryCodes: codes})
}
