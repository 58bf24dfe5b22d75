package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

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
