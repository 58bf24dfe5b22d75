package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// emailVerified reads the user's email_verified column.
func (a *runningApp) emailVerified(t *testing.T, userID string) bool {
	t.Helper()
	var verified bool
	if err := a.db.QueryRow(context.Background(), `SELECT email_verified FROM auth_user WHERE id = $1`, userID).Scan(&verified); err != nil {
		t.Fatal(err)
	}
	return verified
}

// Sign-up mails a link; opening it only shows a button (a mail scanner
// opening it changes nothing), the button verifies the address, and the
// link then works no more.
func TestSignUpMailsAVerificationLink(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "kate", "correct horse")
	kate := app.userIDOf(t, "kate")

	mail := app.outbox(t, "kate@example.com")
	if len(mail) != 1 || mail[0].Subject != "Confirm your email address" {
		t.Fatalf("the outbox holds %+v, want one verification mail", mail)
	}
	link, token := app.lastLink(t, "kate@example.com")
	if link.Path != "/verify-email" || len(token) != 43 {
		t.Fatalf("the mail's link %s, want /verify-email with a 43-character token", link)
	}
	if got := app.request(t, "GET", "/account", "", nil, cookie); !strings.Contains(got.body, "(unverified)") {
		t.Errorf("the account page does not say the address is unverified:\n%s", got.body)
	}

	// A scanner, or the user, opens the link: nothing changes.
	for range 2 {
		got := app.request(t, "GET", link.RequestURI(), "", nil)
		if got.StatusCode != http.StatusOK || !strings.Contains(got.body, `name="token" value="`+token+`"`) {
			t.Fatalf("opening the link: status %d\n%s", got.StatusCode, got.body)
		}
	}
	if app.emailVerified(t, kate) {
		t.Fatal("opening the link verified the address; only the button should")
	}

	got := app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {token}}, cookie)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=email-verified" {
		t.Fatalf("confirming: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	if !app.emailVerified(t, kate) {
		t.Fatal("the address is not verified after confirming")
	}
	if got := app.request(t, "GET", "/account", "", nil, cookie); !strings.Contains(got.body, "(verified)") {
		t.Errorf("the account page does not say the address is verified:\n%s", got.body)
	}

	// Used once: the same link again is refused with a plain sentence.
	got = app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {token}})
	if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
		t.Errorf("the link a second time: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
}

// An expired, made-up or missing verification token gets a clear page and
// changes nothing.
func TestBadVerificationLinksChangeNothing(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "liam", "correct horse")
	liam := app.userIDOf(t, "liam")
	_, token := app.lastLink(t, "liam@example.com")

	app.clock.Advance(verificationTokenLifetime + time.Minute)
	for name, token := range map[string]string{
		"expired":  token,
		"made up":  strings.Repeat("a", 43),
		"empty":    "",
		"too long": strings.Repeat("x", 10000),
		"with NUL": "abc\x00def",
	} {
		got := app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {token}})
		if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
			t.Errorf("%s token: status %d, error %q", name, got.StatusCode, errorMessage(got.body))
		}
	}
	if got := app.request(t, "GET", "/verify-email", "", nil); got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
		t.Errorf("the link without a token: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	if app.emailVerified(t, liam) {
		t.Fatal("a bad token verified the address")
	}
}

// "Send the link again" mails a new link, which replaces the old one, and
// cannot be used to flood the inbox: after two, it asks to wait.
func TestResendVerificationIsThrottled(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "mia", "correct horse")
	_, first := app.lastLink(t, "mia@example.com")

	for i := range 2 {
		got := app.request(t, "POST", "/verify-email/resend", app.origin(), nil, cookie)
		if got.StatusCode != http.StatusSeeOther {
			t.Fatalf("resend %d: status %d\n%s", i+1, got.StatusCode, got.body)
		}
	}
	got := app.request(t, "POST", "/verify-email/resend", app.origin(), nil, cookie)
	if got.StatusCode != http.StatusTooManyRequests || got.Header.Get("Retry-After") == "" ||
		!strings.Contains(errorMessage(got.body), "Please wait") {
		t.Fatalf("a third resend: status %d, Retry-After %q, error %q", got.StatusCode, got.Header.Get("Retry-After"), errorMessage(got.body))
	}
	if n := len(app.outbox(t, "mia@example.com")); n != 3 {
		t.Fatalf("the outbox holds %d mails to mia, want 3 (sign-up and two resends)", n)
	}

	// Only the newest link works.
	got = app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {first}})
	if got.StatusCode != http.StatusBadRequest {
		t.Errorf("the first link after a resend: status %d, want %d", got.StatusCode, http.StatusBadRequest)
	}
	_, newest := app.lastLink(t, "mia@example.com")
	got = app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {newest}})
	if got.StatusCode != http.StatusSeeOther {
		t.Errorf("the newest link: status %d\n%s", got.StatusCode, got.body)
	}

	// After the wait, another resend is allowed again (none is needed now:
	// a verified address gets no mail).
	app.clock.Advance(time.Hour)
	app.request(t, "POST", "/verify-email/resend", app.origin(), nil, cookie)
	if n := len(app.outbox(t, "mia@example.com")); n != 3 {
		t.Errorf("a resend for a verified address sent mail: %d mails", n)
	}
}

// An address can belong to one account only, whatever its case, and a
// malformed address is refused before anything is written.
func TestSignUpChecksTheEmailAddress(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "nina", "correct horse")

	got := app.request(t, "POST", "/signup", app.origin(), url.Values{"username": {"nina2"}, "email": {"NINA@Example.com"}, "password": {"correct horse"}})
	if got.StatusCode != http.StatusConflict || !strings.Contains(errorMessage(got.body), "Another account uses this email address.") {
		t.Errorf("a taken address: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	for _, addr := range []string{"", "nina", "Nina <nina3@example.com>", "a@b", "a@example.com\r\nBcc: eve@example.com", "x@" + strings.Repeat("e", 260) + ".com"} {
		got := app.request(t, "POST", "/signup", app.origin(), url.Values{"username": {"nina3"}, "email": {addr}, "password": {"correct horse"}})
		if got.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(errorMessage(got.body), "Please enter an email address") {
			t.Errorf("address %q: status %d, error %q", addr, got.StatusCode, errorMessage(got.body))
		}
	}
	var users int
	if err := app.db.QueryRow(context.Background(), `SELECT count(*) FROM auth_user`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Errorf("%d users after refused sign-ups, want 1", users)
	}
}
