package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// Security notices land in the outbox: a sign-in from a device not seen
// before (not one seen before), a password changed, a second factor
// removed. None holds a session id, and each names the device in the
// page's words.
func TestSecurityNoticesAreMailed(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUpFrom(t, firefoxOnLinux, "lotta", "correct horse")
	lotta := app.userIDOf(t, "lotta")
	newSignIn := noticeSubject(auth.NoticeNewSignIn)

	// The same device again: no notice. A new one: a notice naming it.
	again := app.logInFrom(t, firefoxOnLinux, "lotta", "correct horse")
	phone := app.logInFrom(t, safariOnIPhone, "lotta", "correct horse")
	notice := app.waitForMail(t, "lotta@example.com", newSignIn)
	if !strings.Contains(notice.Body, "Safari on iPhone") {
		t.Errorf("the new sign-in notice does not name the device:\n%s", notice.Body)
	}
	count := func(subject string) int {
		n := 0
		for _, m := range app.outbox(t, "lotta@example.com") {
			if m.Subject == subject {
				n++
			}
		}
		return n
	}
	if n := count(newSignIn); n != 1 {
		t.Errorf("%d new-sign-in notices, want 1 (the phone's; not the laptop's second sign-in)", n)
	}

	// A password change.
	got := app.request(t, "POST", "/password", app.origin(), url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}}, laptop)
	if got.Header.Get("Location") != "/account?m=password-changed" {
		t.Fatalf("changing the password: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	app.waitForMail(t, "lotta@example.com", noticeSubject(auth.NoticePasswordChanged))
	laptop = got.sessionCookie()

	// A second factor removed.
	app.setUpTOTP(t, laptop)
	if got := app.request(t, "POST", "/account/totp/remove", app.origin(), url.Values{}, laptop); got.Header.Get("Location") != securityPath+"?m=totp-removed" {
		t.Fatalf("removing the authenticator app: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	app.waitForMail(t, "lotta@example.com", noticeSubject(auth.NoticeSecondFactorRemoved))

	// The attacker's test: no notice leaks a session id (or a token).
	for _, m := range app.outbox(t, "lotta@example.com") {
		for _, cookie := range []*http.Cookie{laptop, again, phone} {
			if strings.Contains(m.Body, cookie.Value) || strings.Contains(m.Subject, cookie.Value) {
				t.Errorf("the mail %q holds a session id", m.Subject)
			}
		}
	}
	if kinds := app.auditKinds(t, lotta); !containsAll(kinds, luciapg.AuditSecondFactorRemoved, luciapg.AuditPasswordChanged, luciapg.AuditLogin) {
		t.Errorf("lotta's events: %v", kinds)
	}
}

// A user without an address gets no notice, and the action is not held
// up or failed for it.
func TestNoNoticeWithoutAnAddress(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	seedAccount(t, app.store, "no-mail-id", "nomail", nil)
	if _, err := app.app.auth.UpdateKeyPassword(t.Context(), usernameProvider, "nomail", "correct horse"); err != nil {
		t.Fatal(err)
	}
	app.logInFrom(t, safariOnIPhone, "nomail", "correct horse")
	var n int
	if err := app.db.QueryRow(t.Context(), `SELECT count(*) FROM webapp_outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d mails for a user without an address", n)
	}
}

// The reset link's request and its use are in the audit log, each with
// the write it records.
func TestPasswordResetIsAudited(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "mona", "correct horse")
	mona := app.userIDOf(t, "mona")
	app.forgot(t, "mona")
	_, token := app.lastLink(t, "mona@example.com")
	if kinds := app.auditKinds(t, mona); !containsAll(kinds, luciapg.AuditPasswordResetRequested) {
		t.Fatalf("after asking for a link: %v", kinds)
	}
	got := app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"battery staple"}})
	if got.Header.Get("Location") != "/login?m=password-reset" {
		t.Fatalf("resetting: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if kinds := app.auditKinds(t, mona); !containsAll(kinds, luciapg.AuditPasswordResetCompleted) {
		t.Fatalf("after the reset: %v", kinds)
	}
	// A refused reset (the link used again) records nothing.
	before := len(app.auditKinds(t, mona))
	app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"thief's choice"}})
	if after := len(app.auditKinds(t, mona)); after != before {
		t.Errorf("a refused reset added %d events", after-before)
	}
}

// containsAll reports whether list holds every one of want.
func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

// waitNotices waits for the notices the app's auth core is sending, as
// a shutdown does, failing the test after a minute.
func (a *runningApp) waitNotices(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := a.app.auth.WaitNotices(ctx); err != nil {
		t.Fatalf("waiting for the notices: %v", err)
	}
}

// passwordNotices counts the password-changed notices mailed to to.
func (a *runningApp) passwordNotices(t *testing.T, to string) int {
	t.Helper()
	a.waitNotices(t)
	n := 0
	for _, m := range a.outbox(t, to) {
		if m.Subject == noticeSubject(auth.NoticePasswordChanged) {
			n++
		}
	}
	return n
}

// A password changed in an inTx transaction that rolls back mails no
// notice; one that commits mails exactly one.
func TestTransactionNoticesFollowTheCommit(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "nina", "correct horse")
	ctx := t.Context()
	refused := errors.New("test: the transaction fails after the change")
	err := app.app.inTx(ctx, func(tx txAuth) error {
		if _, err := tx.UpdateKeyPassword(ctx, usernameProvider, "nina", "rolled back"); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("inTx: %v, want the function's error", err)
	}
	if n := app.passwordNotices(t, "nina@example.com"); n != 0 {
		t.Fatalf("a rolled-back password change mailed %d notices, want 0", n)
	}
	err = app.app.inTx(ctx, func(tx txAuth) error {
		_, err := tx.UpdateKeyPassword(ctx, usernameProvider, "nina", "committed")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := app.passwordNotices(t, "nina@example.com"); n != 1 {
		t.Errorf("a committed password change mailed %d notices, want 1", n)
	}
}

// A transaction aborted by a deadlock after it changed the password, and
// run again, mails one notice: the aborted attempt's is dropped. (The
// deadlock as in TestTransactionAbortedByADeadlockRunsAgain, with the
// password change taking the key's lock.)
func TestRetriedTransactionSendsItsNoticeOnce(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "omar", "correct horse")
	omar := app.userIDOf(t, "omar")
	ctx := context.Background()
	other, err := app.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(ctx) }()
	// NO KEY UPDATE: the password change's audit event (whose foreign
	// key takes KEY SHARE on the user) goes through; the app's UPDATE of
	// the user's row waits.
	if _, err := other.Exec(ctx, `SELECT 1 FROM auth_user WHERE id = $1 FOR NO KEY UPDATE`, omar); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	keyHeld := make(chan struct{})
	// The retry waits until the other transaction holds the key: once the
	// first attempt is aborted, the other transaction must still wake and
	// lock the key row, and a retry quicker than that locks it first and
	// deadlocks again (a third attempt, as a CI run once saw).
	otherHasKey := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- app.app.inTx(ctx, func(tx txAuth) error {
			attempts++
			if attempts == 2 {
				<-otherHasKey
			}
			if _, err := tx.UpdateKeyPassword(ctx, usernameProvider, "omar", "battery staple"); err != nil {
				return err
			}
			if attempts == 1 {
				close(keyHeld)
			}
			_, err := tx.tx.Exec(ctx, `UPDATE auth_user SET email_verified = true WHERE id = $1`, omar)
			return err
		})
	}()
	<-keyHeld
	app.waitForLockWaiters(t, 1) // the app's transaction, for the user's row
	if _, err := other.Exec(ctx, `SELECT 1 FROM auth_key WHERE id = 'username:omar' FOR UPDATE`); err != nil {
		t.Fatalf("the other transaction was the one aborted: %v", err)
	}
	close(otherHasKey)
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the app's transaction: %v", err)
	}
	if attempts != 2 {
		t.Fatalf("the app's transaction ran %d times, want 2", attempts)
	}
	if n := app.passwordNotices(t, "omar@example.com"); n != 1 {
		t.Errorf("%d password-changed notices, want 1 (the committed attempt's)", n)
	}
}
