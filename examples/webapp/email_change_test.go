package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/auth"
)

// emailOf returns the user's address and whether it is verified.
func (a *runningApp) emailOf(t *testing.T, userID string) (string, bool) {
	t.Helper()
	var addr string
	var verified bool
	if err := a.db.QueryRow(context.Background(), `SELECT email, email_verified FROM auth_user WHERE id = $1`, userID).Scan(&addr, &verified); err != nil {
		t.Fatal(err)
	}
	return addr, verified
}

// enterSudo passes the sudo prompt with the password.
func (a *runningApp) enterSudo(t *testing.T, cookie *http.Cookie, password string) {
	t.Helper()
	got := a.request(t, "POST", sudoPath, a.origin(), url.Values{"method": {"password"}, "password": {password}, "next": {"/account"}}, cookie)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account" {
		t.Fatalf("the sudo prompt: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
}

// askEmailChange posts the email-change form.
func (a *runningApp) askEmailChange(t *testing.T, cookie *http.Cookie, addr string) answer {
	t.Helper()
	return a.request(t, "POST", emailChangePath, a.origin(), url.Values{"email": {addr}}, cookie)
}

// waitForMail waits for a mail to the address with the subject, and
// returns it: security notices are sent in the background.
func (a *runningApp) waitForMail(t *testing.T, to, subject string) Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range a.outbox(t, to) {
			if m.Subject == subject {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q to %s within 10 s; the outbox holds %d mails to it", subject, to, len(a.outbox(t, to)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noticeSubject is the subject of the auth core's notice of kind.
func noticeSubject(kind auth.NoticeKind) string {
	return auth.Notice{Kind: kind}.Subject()
}

// The whole change: the form needs sudo mode; it mails a link to the new
// address and a notice to the old one; the change waits, shown on the
// account page, until the link's button is pressed (opening the link
// changes nothing); then the address is the new one, verified, the old
// one is told, and the link works no more.
func TestEmailChange(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "hedda", "correct horse")
	hedda := app.userIDOf(t, "hedda")
	app.clock.Advance(sudoLapse)

	// Out of sudo mode: the form's page and its post lead to the prompt.
	if got := app.request(t, "GET", emailChangePath, "", nil, cookie); got.Header.Get("Location") != withNext(sudoPath, emailChangePath) {
		t.Fatalf("the form out of sudo mode: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if got := app.askEmailChange(t, cookie, "hedda.new@example.com"); got.Header.Get("Location") != withNext(sudoPath, emailChangePath) {
		t.Fatalf("a change out of sudo mode: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if n := len(app.outbox(t, "hedda.new@example.com")); n != 0 {
		t.Fatalf("a change out of sudo mode mailed %d links", n)
	}
	app.enterSudo(t, cookie, "correct horse")
	if got := app.request(t, "GET", emailChangePath, "", nil, cookie); got.StatusCode != http.StatusOK || !strings.Contains(got.body, `id="new-email"`) {
		t.Fatalf("the form in sudo mode: status %d\n%s", got.StatusCode, got.body)
	}

	got := app.askEmailChange(t, cookie, "hedda.new@example.com")
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=email-change-sent" {
		t.Fatalf("asking for the change: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	app.waitForMail(t, "hedda@example.com", noticeSubject(auth.NoticeEmailChangeRequested))
	link, token := app.lastLink(t, "hedda.new@example.com")
	if link.Path != emailConfirmPath || token == "" {
		t.Fatalf("the mailed link %s, want %s with a token", link, emailConfirmPath)
	}
	page := app.account(t, cookie)
	if !strings.Contains(page.body, `id="pending-email"`) || !strings.Contains(page.body, "hedda.new@example.com") {
		t.Errorf("the account page does not show the pending change")
	}

	// Opening the link (a mail scanner, a preview) changes nothing.
	if got := app.request(t, "GET", link.RequestURI(), "", nil); got.StatusCode != http.StatusOK || !strings.Contains(got.body, `id="confirm-email-change"`) {
		t.Fatalf("opening the link: status %d\n%s", got.StatusCode, got.body)
	}
	if addr, _ := app.emailOf(t, hedda); addr != "hedda@example.com" {
		t.Fatalf("opening the link changed the address to %s", addr)
	}
	got = app.request(t, "POST", emailConfirmPath, app.origin(), url.Values{"token": {token}}, cookie)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=email-changed" {
		t.Fatalf("confirming: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	if addr, verified := app.emailOf(t, hedda); addr != "hedda.new@example.com" || !verified {
		t.Fatalf("after confirming: %s (verified %v)", addr, verified)
	}
	app.waitForMail(t, "hedda@example.com", noticeSubject(auth.NoticeEmailChanged))
	if strings.Contains(app.account(t, cookie).body, `id="pending-email"`) {
		t.Error("the account page still shows a pending change")
	}

	// The attacker's test: the link a second time is refused.
	got = app.request(t, "POST", emailConfirmPath, app.origin(), url.Values{"token": {token}})
	if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
		t.Errorf("the link a second time: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	if addr, _ := app.emailOf(t, hedda); addr != "hedda.new@example.com" {
		t.Errorf("a used link changed the address to %s", addr)
	}
	if logs := app.logs.String(); strings.Contains(logs, token) || !strings.Contains(logs, "kind=email-change") {
		t.Error("the link's token is in the log, or the log has no line for its mail")
	}
	// A reset link asked for by the new address goes to it.
	app.forgot(t, "hedda.new@example.com")
	if link, _ := app.lastLink(t, "hedda.new@example.com"); link.Path != "/reset-password" {
		t.Errorf("a reset asked for by the new address went elsewhere: %s", link)
	}
}

// The attacker's test: a link past its expiry, a cancelled change's link
// and a made-up token change nothing; the page says the link is no good.
func TestEmailChangeRefusesExpiredAndCancelledLinks(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "ivar", "correct horse")
	ivar := app.userIDOf(t, "ivar")

	if got := app.askEmailChange(t, cookie, "ivar.late@example.com"); got.Header.Get("Location") != "/account?m=email-change-sent" {
		t.Fatalf("asking for a change: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	_, expired := app.lastLink(t, "ivar.late@example.com")
	app.clock.Advance(emailChangeLifetime + time.Minute)
	got := app.request(t, "POST", emailConfirmPath, app.origin(), url.Values{"token": {expired}})
	if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
		t.Errorf("an expired link: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}

	app.enterSudo(t, cookie, "correct horse")
	if got := app.askEmailChange(t, cookie, "ivar.cancelled@example.com"); got.Header.Get("Location") != "/account?m=email-change-sent" {
		t.Fatalf("asking for another change: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	_, cancelled := app.lastLink(t, "ivar.cancelled@example.com")
	if got := app.request(t, "POST", emailCancelPath, app.origin(), url.Values{}, cookie); got.Header.Get("Location") != "/account?m=email-change-cancelled" {
		t.Fatalf("cancelling: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	for name, token := range map[string]string{"a cancelled change's link": cancelled, "a made-up token": strings.Repeat("a", 43), "no token": ""} {
		got := app.request(t, "POST", emailConfirmPath, app.origin(), url.Values{"token": {token}})
		if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
			t.Errorf("%s: status %d, error %q", name, got.StatusCode, errorMessage(got.body))
		}
	}
	if addr, _ := app.emailOf(t, ivar); addr != "ivar@example.com" {
		t.Fatalf("refused links changed the address to %s", addr)
	}
	if got := app.request(t, "GET", emailConfirmPath, "", nil); got.StatusCode != http.StatusBadRequest {
		t.Errorf("the link without a token: status %d, want 400", got.StatusCode)
	}
}

// The form refuses what cannot be an address of the user's, writing
// nothing and mailing nothing.
func TestEmailChangeRefusesBadAddresses(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "jonas", "correct horse")
	app.signUp(t, "kira", "correct horse")
	for addr, want := range map[string]struct {
		status int
		msg    string
	}{
		"not an address":                      {http.StatusUnprocessableEntity, "Please enter an email address"},
		"Jonas <jonas2@example.com>":          {http.StatusUnprocessableEntity, "Please enter an email address"},
		"JONAS@example.com":                   {http.StatusUnprocessableEntity, "That is your email address already."},
		"kira@example.com":                    {http.StatusConflict, "Another account uses this email address."},
		"x@example.com\r\nBcc: e@example.com": {http.StatusUnprocessableEntity, "Please enter an email address"},
	} {
		got := app.askEmailChange(t, cookie, addr)
		if got.StatusCode != want.status || !strings.Contains(errorMessage(got.body), want.msg) {
			t.Errorf("%q: status %d, error %q; want %d, %q", addr, got.StatusCode, errorMessage(got.body), want.status, want.msg)
		}
	}
	if strings.Contains(app.account(t, cookie).body, `id="pending-email"`) {
		t.Error("a refused address left a pending change")
	}
}
