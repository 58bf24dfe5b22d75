package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth"
)

// Someone who knows gina's password but not her authenticator app logs in
// and, instead of the second step's page, goes straight to the pages a
// session opens, with whatever cookies the password step left: none may
// serve the account, nor change the password. The second step then opens
// it.
func TestAttackSecondFactorSkippedByGoingToProtectedPage(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "gina", "correct horse")
	secret := app.enrolTOTP(t, cookie, "gina", "correct horse")
	app.request(t, "POST", "/logout", app.origin(), url.Values{}, cookie)

	login := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"gina"}, "password": {"correct horse"}})
	var jar []*http.Cookie
	for _, c := range login.Cookies() {
		if c.Value != "" {
			jar = append(jar, c)
		}
	}
	for _, path := range []string{"/account", "/account/security", "/account/passkeys"} {
		if got := app.request(t, "GET", path, "", nil, jar...); got.StatusCode == http.StatusOK && strings.Contains(got.body, "Hello, gina") {
			t.Fatalf("after the password step alone, GET %s served the account", path)
		}
	}
	changed := app.request(t, "POST", "/password", app.origin(), url.Values{"current_password": {"correct horse"}, "new_password": {"thief's choice"}}, jar...)
	if changed.Header.Get("Location") == "/account?m=password-changed" {
		t.Fatal("after the password step alone, the password form changed the password")
	}
	if loc := login.Header.Get("Location"); login.StatusCode != http.StatusSeeOther || loc != secondStepPath {
		t.Fatalf("the password step: status %d, location %q; want a redirect to %s\n%s", login.StatusCode, loc, secondStepPath, login.body)
	}

	done := app.request(t, "POST", secondStepPath, app.origin(), url.Values{"method": {"totp"}, "code": {app.nextTOTPCode(t, secret)}}, jar...)
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/account" || done.sessionCookie() == nil {
		t.Fatalf("the second step: status %d, location %q\n%s", done.StatusCode, done.Header.Get("Location"), done.body)
	}
	if got := app.request(t, "GET", "/account", "", nil, done.sessionCookie()); got.StatusCode != http.StatusOK || !strings.Contains(got.body, "Hello, gina") {
		t.Fatalf("the account after the second step: status %d\n%s", got.StatusCode, got.body)
	}
}

// A pending login is bound to the client that began it: its cookie,
// copied to another client (here another address, as a trusted proxy
// reports it), does not finish the login even with the right code, and
// the client that began it still can.
func TestAttackPendingLoginCookieFromAnotherClient(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{insecureDevCookies: true, clientAddressHeader: "X-Forwarded-For"}, auth.Config{})
	ownerAddress := http.Header{"X-Forwarded-For": {"198.51.100.7"}}
	app.header = ownerAddress
	cookie := app.signUp(t, "ivy", "correct horse")
	ivy := app.userIDOf(t, "ivy")
	secret := app.enrolTOTP(t, cookie, "ivy", "correct horse")
	app.request(t, "POST", "/logout", app.origin(), url.Values{}, cookie)

	login := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"ivy"}, "password": {"correct horse"}})
	pending := login.cookiesBut("auth_session")
	if login.Header.Get("Location") != secondStepPath || len(pending) == 0 {
		t.Fatalf("the password step: status %d, location %q, %d cookies besides the session's", login.StatusCode, login.Header.Get("Location"), len(pending))
	}

	app.header = http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	stolen := app.request(t, "POST", secondStepPath, app.origin(), url.Values{"method": {"totp"}, "code": {app.nextTOTPCode(t, secret)}}, pending...)
	if c := stolen.sessionCookie(); c != nil && c.Value != "" {
		t.Fatalf("the pending-login cookie, from another address, finished the login with a right code (status %d, location %q)", stolen.StatusCode, stolen.Header.Get("Location"))
	}
	if n := app.sessionCount(t, ivy); n != 0 {
		t.Fatalf("ivy has %d sessions after a second step from another address, want 0", n)
	}

	app.header = ownerAddress
	done := app.request(t, "POST", secondStepPath, app.origin(), url.Values{"method": {"totp"}, "code": {app.nextTOTPCode(t, secret)}}, pending...)
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/account" || done.sessionCookie() == nil {
		t.Fatalf("the second step from the address that began the login: status %d, location %q\n%s", done.StatusCode, done.Header.Get("Location"), done.body)
	}
}

// A Lucia v1 app sharing the database logs a user in with the password
// alone: it knows nothing of second factors and writes a bare session
// row. For a user with an authenticator app, that session opens nothing
// here (and signs nobody out) until it has been through a second step,
// which then upgrades it in place.
func TestAttackLuciaSessionNeedsSecondFactor(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "hana", "correct horse")
	hana := app.userIDOf(t, "hana")
	secret := app.enrolTOTP(t, cookie, "hana", "correct horse")

	lucia := app.insertLuciaSession(t, hana)

	got := app.request(t, "GET", "/account", "", nil, lucia)
	if got.StatusCode == http.StatusOK {
		t.Fatalf("a session a Lucia v1 app made for a user with an authenticator app was served the account without a second factor")
	}
	if loc := got.Header.Get("Location"); !strings.HasPrefix(loc, sessionSecondStepPath) {
		t.Errorf("the account page for that session: status %d, location %q; want a redirect to %s", got.StatusCode, loc, sessionSecondStepPath)
	}
	app.request(t, "POST", "/logout-all", app.origin(), url.Values{}, lucia)
	if n := app.sessionCount(t, hana); n != 2 {
		t.Fatalf("hana has %d sessions after that session asked to sign out of all devices, want 2", n)
	}

	done := app.request(t, "POST", sessionSecondStepPath, app.origin(), url.Values{"method": {"totp"}, "code": {app.nextTOTPCode(t, secret)}, "next": {"/account"}}, lucia)
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/account" {
		t.Fatalf("the second step for that session: status %d, location %q\n%s", done.StatusCode, done.Header.Get("Location"), done.body)
	}
	if got := app.request(t, "GET", "/account", "", nil, lucia); got.StatusCode != http.StatusOK || !strings.Contains(got.body, "Hello, hana") {
		t.Fatalf("the account after the second step: status %d\n%s", got.StatusCode, got.body)
	}
}
