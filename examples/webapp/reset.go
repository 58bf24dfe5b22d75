package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// Password-reset links: ID tokens of @lucia-auth/tokens, as a Lucia v1 app
// using idToken("password-reset") stores them.
const (
	resetTokenName     = "password-reset"
	resetTokenLifetime = 30 * time.Minute
)

// addressMailPolicy throttles "forgot password" requests per client
// address: more generous than mailPolicy, since people behind one NAT
// share an address, but a script cycling through names is slowed down.
var addressMailPolicy = luciapg.ThrottlePolicy{FreeAttempts: 10, BaseDelay: time.Minute, MaxDelay: time.Hour, Window: 24 * time.Hour}

// resetRequested is the forgot-password form's one answer, whether an
// account exists or not: the form does not tell who has an account.
const resetRequested = "If an account with that email address or username exists, we sent a link to reset its password to its email address. The link works once, for 30 minutes."

// forgotPassword mails a reset link to the account named by an email
// address or a username, if there is one, and answers the same either way.
func (a *app) forgotPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login := strings.TrimSpace(r.PostFormValue("login"))
	data := pageData{Title: "Forgot your password?"}
	if login == "" {
		data.Error = "Please enter your email address or username."
		a.render(w, r, http.StatusUnprocessableEntity, "forgot-password", data)
		return
	}
	// Counted before any lookup, under what was typed: an unknown name is
	// throttled exactly like a known one.
	throttleKeys := map[string]luciapg.ThrottlePolicy{"webapp:forgot:" + strings.ToLower(login): mailPolicy}
	if addr, ok := auth.ClientAddress(ctx); ok {
		// By the client's network, as the auth core counts it (an IPv6
		// client by its /64), or one client could rotate addresses.
		throttleKeys["webapp:forgot-from:"+a.auth.AddressKey(addr)] = addressMailPolicy
	}
	for key, policy := range throttleKeys {
		wait, err := a.countMail(ctx, key, policy)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		if wait > 0 {
			data.Error = "Too many requests. Please wait " + retryAfter(w, wait) + " and try again."
			a.render(w, r, http.StatusTooManyRequests, "forgot-password", data)
			return
		}
	}
	// The lookup and the mail happen after the answer, so its timing
	// does not tell whether an account exists either.
	a.background.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundMailTimeout)
		defer cancel()
		if err := a.mailResetLink(ctx, login); err != nil {
			a.log.Error("sending a password-reset mail failed", "err", err)
		}
	})
	data.Notice = resetRequested
	a.render(w, r, http.StatusOK, "forgot-password", data)
}

// backgroundMailTimeout bounds a reset request's work after its answer.
const backgroundMailTimeout = 30 * time.Second

// mailResetLink mails a reset link to the account login names, if any.
func (a *app) mailResetLink(ctx context.Context, login string) error {
	userID, found, err := a.findAccount(ctx, login)
	if err != nil || !found {
		return err
	}
	return a.sendReset(ctx, userID)
}

// findAccount finds the user an email address or a username belongs to.
func (a *app) findAccount(ctx context.Context, login string) (string, bool, error) {
	if strings.Contains(login, "@") {
		if checkEmail(login) != "" {
			return "", false, nil
		}
		return a.userIDByEmail(ctx, login)
	}
	username := auth.NormalizeUsername(login)
	if auth.CheckUsername(username) != nil {
		return "", false, nil
	}
	key, err := a.auth.GetKey(ctx, usernameProvider, username)
	if errors.Is(err, luciapg.ErrInvalidKeyID) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return key.UserID, true, nil
}

// sendReset mails a reset link to the user's address, when the user has
// an address and a password to reset. Mail to one user is throttled
// (mailPolicy) whichever name asked for it; a throttled request sends
// nothing and says nothing, like a request for an unknown account.
func (a *app) sendReset(ctx context.Context, userID string) error {
	user, err := a.auth.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	addr, _ := userEmail(user)
	username, _ := user.Attributes["username"].(string)
	if addr == "" || username == "" {
		return nil
	}
	wait, err := a.countMail(ctx, "webapp:reset-mail:"+userID, mailPolicy)
	if err != nil || wait > 0 {
		return err
	}
	// The audit log records the request with the link's write, in its
	// transaction: an event exactly when a link was made.
	token, err := a.resets.Issue(a.auth.AuditContext(ctx, luciapg.AuditPasswordResetRequested, userID, "", ""), userID)
	if err != nil {
		return err
	}
	err = a.mailer.Send(ctx, Message{
		To:      addr,
		Subject: "Reset your password",
		Body: "Someone asked to reset the password of " + username + " on the luciapg example.\n" +
			"To choose a new password, open this link:\n\n" +
			a.link("/reset-password", token.Value) + "\n\n" +
			"It works once, for 30 minutes. If it was not you, ignore this mail: your password stays as it is.\n",
	})
	if err == nil {
		a.log.Info("mail sent", "kind", resetTokenName, "user", userID)
	}
	return err
}

// resetPasswordForm shows the new-password form for a reset link. It does
// not look at the token: mail scanners open links before their recipient
// does. The token goes along in a hidden field and is checked, and used
// up, when the form is submitted.
func (a *app) resetPasswordForm(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Choose a new password", Token: r.URL.Query().Get("token")}
	if data.Token == "" {
		data.Error = invalidLink + " Ask for a new one below."
		a.render(w, r, http.StatusBadRequest, "forgot-password", pageData{Title: "Forgot your password?", Error: data.Error})
		return
	}
	a.render(w, r, http.StatusOK, "reset-password", data)
}

// errNoPassword is a reset link of a user who has no password: one made
// by "Sign in with ..." that never chose one.
var errNoPassword = errors.New("the account has no password")

// resetPassword uses up the reset token, sets the new password, and ends
// every session of the user: whoever had the old password, or a session,
// is out. It also removes every other key of the user (a provider account
// linked with "Link your ... account"): the resetter proved the address,
// not those, which whoever held the account before may have linked — an
// attacker who signed up with someone else's address first would keep a
// way in (account pre-hijacking). The login page then says so. The
// browser is sent to the login page rather than signed in, so the
// password manager sees the new password typed into a login form and a
// reset link alone never opens a session.
func (a *app) resetPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tokenValue := r.PostFormValue("token")
	password := r.PostFormValue("password")
	data := pageData{Title: "Choose a new password", Token: tokenValue}
	// Checked before the token is used, so a password that is too short
	// does not spend the link.
	if msg := checkNewPassword(password); msg != "" {
		data.Error = msg
		a.render(w, r, http.StatusUnprocessableEntity, "reset-password", data)
		return
	}
	// One transaction: the link is spent, the password set, every session
	// and reset link ended and the address marked verified together, or
	// none of it happens — never a new password while the sessions of
	// whoever knew the old one live on. The link's use is inside too, so
	// a failure leaves it working: the user tries again with it instead of
	// asking for another mail, and it is no more usable than before the
	// click (outside, a failure would spend it for nothing). Only the
	// attempt count, which the throttle keeps on the pool, outlasts a
	// rollback. The new password is hashed inside (scrypt), holding the
	// transaction's connection meanwhile: see takeTxTurn.
	unlinked := false
	err := a.inTx(ctx, func(tx txAuth) error {
		token, err := tx.resets.Validate(ctx, tokenValue)
		if err != nil {
			return err
		}
		user, err := tx.GetUser(ctx, token.UserID)
		if err != nil {
			return err
		}
		username, _ := user.Attributes["username"].(string)
		if username == "" {
			return errNoPassword
		}
		// The user's row locked until commit: a link in progress
		// (CreateKey checks the row) waits for the reset, then finds its
		// session ended (oauthCallback checks again) instead of slipping
		// a key in after the keys below were removed.
		if _, err := tx.tx.Exec(ctx, `SELECT 1 FROM auth_user WHERE id = $1 FOR UPDATE`, user.ID); err != nil {
			return err
		}
		// The audit log records the reset with the new password, in this
		// transaction.
		resetCtx := tx.AuditContext(ctx, luciapg.AuditPasswordResetCompleted, user.ID, "", "")
		if _, err := tx.UpdateKeyPassword(resetCtx, usernameProvider, username, password); err != nil {
			return err
		}
		if unlinked, err = removeUnprovenKeys(ctx, tx, user.ID, username); err != nil {
			return err
		}
		if err := tx.InvalidateAllUserSessions(ctx, user.ID); err != nil {
			return err
		}
		if err := tx.resets.InvalidateAllUserTokens(ctx, user.ID); err != nil {
			return err
		}
		// The link reached the address: it is verified now.
		_, err = tx.UpdateUserAttributes(ctx, user.ID, map[string]any{"email_verified": true})
		return err
	})
	if msg, ok := throttled(w, err); ok {
		data.Error = msg
		a.render(w, r, http.StatusTooManyRequests, "reset-password", data)
		return
	}
	switch {
	case errors.Is(err, tokens.ErrInvalidToken), errors.Is(err, tokens.ErrExpiredToken):
		a.render(w, r, http.StatusBadRequest, "forgot-password", pageData{Title: "Forgot your password?", Error: invalidLink + " Ask for a new one below."})
		return
	case errors.Is(err, errNoPassword):
		data.Token, data.Error = "", "This account has no password to reset."
		a.render(w, r, http.StatusConflict, "reset-password", data)
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.clearSessionCookie(w)
	if unlinked {
		redirect(w, r, "/login?m=password-reset-unlinked")
		return
	}
	redirect(w, r, "/login?m=password-reset")
}

// removeUnprovenKeys deletes the user's sign-in keys other than the
// username key whose password a reset link just set, and reports whether
// there were any. Left alone: the links' tokens (@lucia-auth/tokens keeps
// them as keys too; they open no session, and the reset deals with its
// own), and a primary key (the user's first, made by "Sign in with
// ..."), which goes only with its user: such a user signed up through
// that provider account, so it is the owner's (DeleteKey leaves it too).
func removeUnprovenKeys(ctx context.Context, tx txAuth, userID, username string) (bool, error) {
	keys, err := tx.GetAllUserKeys(ctx, userID)
	if err != nil {
		return false, err
	}
	removed := false
	for _, k := range keys {
		switch {
		case k.Primary,
			k.ProviderID == usernameProvider && k.ProviderUserID == username,
			k.ProviderID == resetTokenName, k.ProviderID == verificationTokenName:
			continue
		}
		if err := tx.DeleteKey(ctx, k.ProviderID, k.ProviderUserID); err != nil {
			return false, err
		}
		removed = true
	}
	return removed, nil
}
