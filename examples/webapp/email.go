package main

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth/tokens"
)

// Verification links: ID tokens of @lucia-auth/tokens, so a Lucia v1 app
// using idToken("email-verification") reads the same rows.
const (
	verificationTokenName     = "email-verification"
	verificationTokenLifetime = 2 * time.Hour
)

// maxEmailLength is the longest address SMTP can carry (RFC 5321's path
// limit less its brackets).
const maxEmailLength = 254

// emailIndex is the unique index making addresses unique whatever their
// case (the webapp migration).
const emailIndex = "auth_user_email_lower_key"

// mailPolicy throttles the mail one person can make the app send: two
// at once, then a wait from 1 minute doubling to an hour. A resend button
// or a "forgot password" form must not let anyone flood an inbox.
var mailPolicy = luciapg.ThrottlePolicy{FreeAttempts: 2, BaseDelay: time.Minute, MaxDelay: time.Hour, Window: 24 * time.Hour}

// checkEmail returns the message for an address that cannot be used: it
// must be one bare address, as a mail header carries it.
func checkEmail(addr string) string {
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || len(addr) > maxEmailLength || !strings.Contains(addr[strings.LastIndexByte(addr, '@')+1:], ".") {
		return "Please enter an email address such as ada@example.com."
	}
	return ""
}

// isDuplicateEmail reports whether err is the unique index refusing an
// address another account has.
func isDuplicateEmail(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.ConstraintName == emailIndex
}

// userEmail returns the user's address and whether it is verified ("" for
// a user without one: made by the admin CLI, or "Sign in with ...").
func userEmail(user luciapg.User) (string, bool) {
	addr, _ := user.Attributes["email"].(string)
	verified, _ := user.Attributes["email_verified"].(bool)
	return addr, verified
}

// userIDByEmail finds the user with the address, whatever its case.
func (a *app) userIDByEmail(ctx context.Context, addr string) (string, bool, error) {
	var id string
	err := a.db.QueryRow(ctx, `SELECT id FROM auth_user WHERE lower(email) = lower($1)`, addr).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

// countMail counts one mail-sending request against throttleKey and
// returns how long to wait when there were too many under policy.
func (a *app) countMail(ctx context.Context, throttleKey string, policy luciapg.ThrottlePolicy) (time.Duration, error) {
	retryAfter, err := a.throttle.CountAttempt(ctx, throttleKey, a.now(), policy)
	if errors.Is(err, luciapg.ErrInvalidInput) {
		// A key the throttle cannot store comes from an over-long (or
		// malformed) input, which no account has: count it under one
		// shared key.
		return a.throttle.CountAttempt(ctx, "webapp:oversized", a.now(), policy)
	}
	return retryAfter, err
}

// link is the absolute URL of path with the token in its query.
func (a *app) link(path, token string) string {
	return a.linkBase + path + "?" + url.Values{"token": {token}}.Encode()
}

// sendVerification issues a verification token for the user, ending any
// earlier one in the same transaction (a failure leaves the earlier ones
// working), and mails its link to addr once that committed.
func (a *app) sendVerification(ctx context.Context, userID, addr string) error {
	var token tokens.Token
	err := a.inTx(ctx, func(tx txAuth) error {
		if err := tx.verifications.InvalidateAllUserTokens(ctx, userID); err != nil {
			return err
		}
		var err error
		token, err = tx.verifications.Issue(ctx, userID)
		return err
	})
	if err != nil {
		return err
	}
	err = a.mailer.Send(ctx, Message{
		To:      addr,
		Subject: "Confirm your email address",
		Body: "Open this link to confirm your email address for the luciapg example:\n\n" +
			a.link("/verify-email", token.Value) + "\n\n" +
			"It works once, for 2 hours. If you did not sign up, ignore this mail.\n",
	})
	if err == nil {
		a.log.Info("mail sent", "kind", verificationTokenName, "user", userID)
	}
	return err
}

// resendVerification mails a new link to the signed-in user, at most as
// often as mailPolicy allows.
func (a *app) resendVerification(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	addr, verified := userEmail(user)
	if addr == "" || verified {
		redirect(w, r, "/account")
		return
	}
	wait, err := a.countMail(r.Context(), "webapp:verify-mail:"+user.ID, mailPolicy)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if wait > 0 {
		a.showAccount(w, r, http.StatusTooManyRequests, session, user, pageData{Error: "We sent you a link a moment ago. Please wait " + retryAfter(w, wait) + " before asking for another."})
		return
	}
	if err := a.sendVerification(r.Context(), user.ID, addr); err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/account?m=verification-sent")
}

// verifyEmailForm shows the confirmation button for a verification link.
func (a *app) verifyEmailForm(w http.ResponseWriter, r *http.Request) {
	a.linkConfirmForm(w, r, "Confirm your email address", "verify-email", "Log in and ask for a new one on your account page.")
}

// linkConfirmForm renders page, whose button posts the token of a mailed
// link (in its hidden field). Opening a link changes nothing: mail
// scanners open links before their recipient does, and would use up the
// single-use token. Without a token the page says the link is invalid,
// and then what to do (askAgain).
func (a *app) linkConfirmForm(w http.ResponseWriter, r *http.Request, title, page, askAgain string) {
	data := pageData{Title: title, Token: r.URL.Query().Get("token")}
	if _, user, ok := currentSession(r); ok {
		data.Username = displayName(user)
	}
	status := http.StatusOK
	if data.Token == "" {
		status, data.Error = http.StatusBadRequest, invalidLink+" "+askAgain
	}
	a.render(w, r, status, page, data)
}

// invalidLink is the one answer to a token that is unknown, used,
// invalidated or expired: which of these it was helps nobody but a guesser.
const invalidLink = "This link is invalid, expired, or was already used."

// verifyEmail uses up the verification token, marks its user's address
// verified and ends the user's other verification links, in one
// transaction: a failure changes nothing and leaves the link working.
func (a *app) verifyEmail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := pageData{Title: "Confirm your email address"}
	if _, user, ok := currentSession(r); ok {
		data.Username = displayName(user)
	}
	err := a.inTx(ctx, func(tx txAuth) error {
		token, err := tx.verifications.Validate(ctx, r.PostFormValue("token"))
		if err != nil {
			return err
		}
		if _, err := tx.UpdateUserAttributes(ctx, token.UserID, map[string]any{"email_verified": true}); err != nil {
			return err
		}
		return tx.verifications.InvalidateAllUserTokens(ctx, token.UserID)
	})
	if msg, ok := throttled(w, err); ok {
		data.Error = msg
		a.render(w, r, http.StatusTooManyRequests, "verify-email", data)
		return
	}
	if errors.Is(err, tokens.ErrInvalidToken) || errors.Is(err, tokens.ErrExpiredToken) {
		data.Error = invalidLink + " Log in and ask for a new one on your account page."
		a.render(w, r, http.StatusBadRequest, "verify-email", data)
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if _, _, ok := currentSession(r); ok {
		redirect(w, r, "/account?m=email-verified")
		return
	}
	redirect(w, r, "/login?m=email-verified")
}
