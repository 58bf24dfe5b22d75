package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// forgot asks for a reset link for login.
func (a *runningApp) forgot(t *testing.T, login string) answer {
	t.Helper()
	return a.request(t, "POST", "/forgot-password", a.origin(), url.Values{"login": {login}})
}

// logIn posts the login form and reports whether it opened a session.
func (a *runningApp) logIn(t *testing.T, username, password string) (*http.Cookie, bool) {
	t.Helper()
	got := a.request(t, "POST", "/login", a.origin(), url.Values{"username": {username}, "password": {password}})
	c := got.sessionCookie()
	return c, got.StatusCode == http.StatusSeeOther && c != nil && c.Value != ""
}

// The attacker's view of the forgot-password form: an existing account
// (by name or by address) and an unknown one get the same status and the
// same page, byte for byte.
func TestForgotPasswordDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "olga", "correct horse")
	seedAccount(t, app.store, "no-mail-id", "nomail", nil) // an account without an address

	answers := map[string]answer{}
	for _, login := range []string{"olga", "OLGA@example.com", "nobody", "nobody@example.com", "nomail", "a b", strings.Repeat("x", 300)} {
		answers[login] = app.forgot(t, login)
	}
	want := answers["nobody"]
	if want.StatusCode != http.StatusOK || !strings.Contains(want.body, resetRequested) {
		t.Fatalf("an unknown name: status %d\n%s", want.StatusCode, want.body)
	}
	for login, got := range answers {
		if got.StatusCode != want.StatusCode || got.body != want.body {
			t.Errorf("%q: status %d and a page that differs from an unknown name's", login, got.StatusCode)
		}
	}
	if n := len(app.outbox(t, "olga@example.com")); n != 3 {
		t.Errorf("olga has %d mails, want 3 (verification, and a reset link each for name and address)", n)
	}
}

// The form is throttled per what was typed, before any lookup: a known
// and an unknown name are refused alike, and no more mail goes out.
func TestForgotPasswordIsThrottled(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "pia", "correct horse")

	for _, login := range []string{"pia", "nobody"} {
		for i := range 2 {
			if got := app.forgot(t, login); got.StatusCode != http.StatusOK {
				t.Fatalf("%s, request %d: status %d", login, i+1, got.StatusCode)
			}
		}
		got := app.forgot(t, login)
		if got.StatusCode != http.StatusTooManyRequests || got.Header.Get("Retry-After") == "" || !strings.Contains(errorMessage(got.body), "Too many requests.") {
			t.Errorf("%s, a third request: status %d, error %q", login, got.StatusCode, errorMessage(got.body))
		}
	}
	if n := len(app.outbox(t, "pia@example.com")); n != 3 {
		t.Errorf("pia has %d mails, want 3 (verification and two reset links)", n)
	}
}

// The password-reset journey, as an attacker would probe it: the link
// opened (by a mail scanner) spends nothing; a password that is too short
// spends nothing; the reset ends every session, including the one a thief
// holds; the link and the user's other links then work no more; the old
// password is refused and the new one works.
func TestPasswordResetEndsEverySessionAndWorksOnce(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUp(t, "quinn", "correct horse")
	quinn := app.userIDOf(t, "quinn")
	thief, ok := app.logIn(t, "quinn", "correct horse")
	if !ok {
		t.Fatal("logging in a second device failed")
	}

	app.forgot(t, "quinn")
	_, older := app.lastLink(t, "quinn@example.com")
	app.forgot(t, "quinn@example.com")
	link, token := app.lastLink(t, "quinn@example.com")
	if link.Path != "/reset-password" || len(token) != 43 {
		t.Fatalf("the reset link %s, want /reset-password with a 43-character token", link)
	}

	// Opening the link shows the form; the token is not looked at.
	got := app.request(t, "GET", link.RequestURI(), "", nil)
	if got.StatusCode != http.StatusOK || !strings.Contains(got.body, `name="token" value="`+token+`"`) {
		t.Fatalf("opening the link: status %d\n%s", got.StatusCode, got.body)
	}
	got = app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"short"}})
	if got.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got.body, `value="`+token+`"`) {
		t.Fatalf("a short password: status %d\n%s", got.StatusCode, got.body)
	}
	if _, err := app.store.GetKey(context.Background(), resetTokenName+":"+token); err != nil {
		t.Fatalf("the link was spent by a refused password: %v", err)
	}

	got = app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"battery staple"}}, laptop)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/login?m=password-reset" {
		t.Fatalf("resetting: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	if n := app.sessionCount(t, quinn); n != 0 {
		t.Fatalf("after the reset quinn has %d sessions, want 0", n)
	}
	for name, cookie := range map[string]*http.Cookie{"the laptop's": laptop, "the thief's": thief} {
		got := app.request(t, "GET", "/account", "", nil, cookie)
		if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/login?m=expired" {
			t.Errorf("%s old session cookie after the reset: status %d, location %q", name, got.StatusCode, got.Header.Get("Location"))
		}
	}

	// Reusing the link, or the older one, changes nothing.
	for name, token := range map[string]string{"the used link": token, "the older link": older} {
		got := app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"thief's choice"}})
		if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
			t.Errorf("%s: status %d, error %q", name, got.StatusCode, errorMessage(got.body))
		}
	}
	if _, ok := app.logIn(t, "quinn", "thief's choice"); ok {
		t.Fatal("a reused link set the password")
	}
	if _, ok := app.logIn(t, "quinn", "correct horse"); ok {
		t.Fatal("the old password still works")
	}
	if _, ok := app.logIn(t, "quinn", "battery staple"); !ok {
		t.Fatal("the new password does not work")
	}
	if !app.emailVerified(t, quinn) {
		t.Error("a reset through the mailed link did not verify the address")
	}
}

// An expired or made-up reset token is refused with a plain sentence and
// the password stays.
func TestBadResetLinksChangeNothing(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "rosa", "correct horse")
	app.forgot(t, "rosa")
	_, token := app.lastLink(t, "rosa@example.com")
	app.clock.Advance(resetTokenLifetime + time.Minute)

	for name, token := range map[string]string{"expired": token, "made up": strings.Repeat("b", 43), "empty": "", "too long": strings.Repeat("x", 10000)} {
		got := app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"battery staple"}})
		if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), invalidLink) {
			t.Errorf("%s token: status %d, error %q", name, got.StatusCode, errorMessage(got.body))
		}
	}
	if _, ok := app.logIn(t, "rosa", "correct horse"); !ok {
		t.Fatal("the password changed after refused resets")
	}
}

// A reset link leads to the app's own origin whatever Host header the
// request that asked for it carried: a forged Host must not send the
// token to another site.
func TestResetLinkIgnoresTheHostHeader(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "sara", "correct horse")
	req, err := http.NewRequest("POST", app.url+"/forgot-password", strings.NewReader(url.Values{"login": {"sara"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	link, _ := app.lastLink(t, "sara@example.com")
	if got := link.Scheme + "://" + link.Host; got != app.url {
		t.Errorf("the reset link leads to %s, want %s", got, app.url)
	}
}

// No token, and no link, ever reaches the log: every flow that handles
// one runs, including failures, and the log is searched for each.
func TestTokensNeverReachTheLog(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "tina", "correct horse")
	app.request(t, "POST", "/verify-email/resend", app.origin(), nil, cookie)
	app.forgot(t, "tina")
	var tokens []string
	for _, m := range app.outbox(t, "tina@example.com") {
		link, err := url.Parse(linkPattern.FindString(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, link.Query().Get("token"))
	}
	if len(tokens) != 3 {
		t.Fatalf("%d mails, want 3", len(tokens))
	}
	verify, reset := tokens[1], tokens[2]
	app.request(t, "GET", "/verify-email?token="+verify, "", nil)
	app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {verify}})
	app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {verify}})
	app.request(t, "GET", "/reset-password?token="+reset, "", nil)
	app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {reset}, "password": {"x"}})
	app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {reset}, "password": {"battery staple"}})
	app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {reset}, "password": {"battery staple"}})

	logs := app.logs.String()
	if !strings.Contains(logs, "mail sent") {
		t.Fatalf("the log holds no mail lines; the test sees nothing:\n%s", logs)
	}
	for _, token := range tokens {
		if token == "" || strings.Contains(logs, token) {
			t.Fatalf("a token (%d characters) is in the log:\n%s", len(token), logs)
		}
	}
	if strings.Contains(logs, "token=") {
		t.Errorf("a link is in the log:\n%s", logs)
	}
}
