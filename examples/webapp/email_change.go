package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// Changing the email address: the new address must prove it receives
// mail before it replaces the old one (tokens.EmailChanges). The form is
// behind sudo mode (whoever holds a stolen session must not move the
// account's mail, and so its password resets, to an inbox of theirs); it
// mails a single-use link to the new address and a notice to the old one
// (the auth core's Notifier); the change waits, shown on the account page
// with a button that cancels it, until the link's button confirms it or
// it expires.
const (
	// emailChangePath is the form (GET, in sudo mode) and where it posts.
	emailChangePath = "/account/email"
	// emailConfirmPath is the mailed link: GET shows a button, POST
	// applies the change. Opening the link changes nothing: mail
	// scanners and link previews open links before their recipient does.
	emailConfirmPath = "/account/email/confirm"
	// emailCancelPath drops a pending change.
	emailCancelPath = "/account/email/cancel"
)

// emailChangeLifetime is how long a confirmation link works.
const emailChangeLifetime = time.Hour

// newEmailChanges returns the app's email changes, through core.
func newEmailChanges(core *auth.Auth) (*tokens.EmailChanges, error) {
	return tokens.NewEmailChanges(core, tokens.EmailChangeConfig{
		Column:         "email",
		VerifiedColumn: "email_verified",
		ExpiresIn:      emailChangeLifetime,
	})
}

// emailChangeForm shows the form, and the pending change if there is
// one. It is reached only in sudo mode (authhttp's RequireSudo sends the
// browser to the prompt first).
func (a *app) emailChangeForm(w http.ResponseWriter, r *http.Request) {
	_, user, _ := currentSession(r)
	a.showEmailChange(w, r, http.StatusOK, user, pageData{})
}

func (a *app) showEmailChange(w http.ResponseWriter, r *http.Request, status int, user luciapg.User, data pageData) {
	if err := a.pendingEmailChange(r, user.ID, &data); err != nil {
		a.serverError(w, r, err)
		return
	}
	data.Title = "Change your email address"
	data.Username = displayName(user)
	data.Email, data.EmailVerified = userEmail(user)
	a.render(w, r, status, "email-change", data)
}

// pendingEmailChange fills data with the user's pending change, if any.
func (a *app) pendingEmailChange(r *http.Request, userID string, data *pageData) error {
	change, err := a.emailChanges.Pending(r.Context(), userID)
	if errors.Is(err, luciapg.ErrEmailChangeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	data.PendingEmail = change.NewEmail
	data.PendingUntil = formatTime(change.Expires)
	return nil
}

// beginEmailChange checks the new address, stores the change and mails
// its link to the new address; the auth core sends the old one a notice.
func (a *app) beginEmailChange(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok || !a.requireSudo(w, r, session, emailChangePath) {
		return
	}
	ctx := r.Context()
	newEmail := strings.TrimSpace(r.PostFormValue("email"))
	fail := func(status int, msg string) {
		a.showEmailChange(w, r, status, user, pageData{Error: msg, Form: formValues{Email: newEmail}})
	}
	if msg := checkEmail(newEmail); msg != "" {
		fail(http.StatusUnprocessableEntity, msg)
		return
	}
	if current, _ := userEmail(user); strings.EqualFold(current, newEmail) {
		fail(http.StatusUnprocessableEntity, "That is your email address already.")
		return
	}
	// Sign-up says the same of a taken address: the app does not hide
	// which addresses have accounts. (A change confirmed after another
	// account took it is refused by the unique index.)
	if _, taken, err := a.userIDByEmail(ctx, newEmail); err != nil {
		a.serverError(w, r, err)
		return
	} else if taken {
		fail(http.StatusConflict, "Another account uses this email address.")
		return
	}
	// Each request mails an address the user typed: throttled like the
	// verification links, so no one floods someone else's inbox.
	wait, err := a.countMail(ctx, "webapp:email-change-mail:"+user.ID, mailPolicy)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if wait > 0 {
		fail(http.StatusTooManyRequests, "We sent you a link a moment ago. Please wait "+retryAfter(w, wait)+" before asking for another.")
		return
	}
	token, err := a.emailChanges.Begin(ctx, session, newEmail)
	if a.toSudoPrompt(w, r, err, emailChangePath) {
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	err = a.mailer.Send(ctx, Message{
		To:      newEmail,
		Subject: "Confirm your new email address",
		Body: "Someone asked to change the email address of " + displayName(user) + " on the luciapg example to this one.\n" +
			"To confirm it, open this link and press the button:\n\n" +
			a.link(emailConfirmPath, token.Value) + "\n\n" +
			"It works once, for 1 hour. If it was not you, ignore this mail: nothing changes.\n",
	})
	if err != nil {
		a.log.Error("sending the email-change mail failed", "user", user.ID, "err", err)
		fail(http.StatusInternalServerError, "We could not send the link to "+newEmail+". Please try again.")
		return
	}
	a.log.Info("mail sent", "kind", "email-change", "user", user.ID)
	redirect(w, r, "/account?m=email-change-sent")
}

// cancelEmailChange drops the user's pending change: its link no longer
// works.
func (a *app) cancelEmailChange(w http.ResponseWriter, r *http.Request) {
	_, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	if err := a.emailChanges.Cancel(r.Context(), user.ID); err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/account?m=email-change-cancelled")
}

// emailConfirmForm shows the button that confirms a change (see
// linkConfirmForm).
func (a *app) emailConfirmForm(w http.ResponseWriter, r *http.Request) {
	a.linkConfirmForm(w, r, "Confirm your new email address", "email-confirm", "Ask for a new one on your account page.")
}

// confirmEmailChange applies the change the posted token confirms, once,
// before it expires. Whoever follows the link need not be signed in: the
// token proves the new address, and the change was asked for in sudo
// mode. The user's reset and verification links, mailed to the old
// address, stop working.
func (a *app) confirmEmailChange(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := pageData{Title: "Confirm your new email address"}
	_, signedIn, hasSession := currentSession(r)
	if hasSession {
		data.Username = displayName(signedIn)
	}
	user, err := a.emailChanges.Confirm(ctx, r.PostFormValue("token"))
	if msg, ok := throttled(w, err); ok {
		data.Error = msg
		a.render(w, r, http.StatusTooManyRequests, "email-confirm", data)
		return
	}
	switch {
	case errors.Is(err, tokens.ErrInvalidToken), errors.Is(err, tokens.ErrExpiredToken):
		data.Error = invalidLink + " Ask for a new one on your account page."
		a.render(w, r, http.StatusBadRequest, "email-confirm", data)
		return
	case isDuplicateEmail(err):
		data.Error = "Another account uses this email address now, so it cannot be yours. Your address stays as it was."
		a.render(w, r, http.StatusConflict, "email-confirm", data)
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	for _, links := range []*tokens.IDTokens{a.resets, a.verifications} {
		if err := links.InvalidateAllUserTokens(ctx, user.ID); err != nil {
			a.log.Error("ending the links mailed to the old address failed", "user", user.ID, "err", err)
		}
	}
	if hasSession && signedIn.ID == user.ID {
		redirect(w, r, "/account?m=email-changed")
		return
	}
	redirect(w, r, "/login?m=email-changed")
}
