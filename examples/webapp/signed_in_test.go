package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// User agents of the test's devices.
const (
	firefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safariOnIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	edgeOnWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)

// requestFrom is request from a browser whose User-Agent is userAgent, on
// the app's own origin.
func (a *runningApp) requestFrom(t *testing.T, userAgent, method, path string, form url.Values, cookies ...*http.Cookie) answer {
	t.Helper()
	return a.requestWith(t, http.Header{"User-Agent": {userAgent}, "Origin": {a.origin()}}, method, path, form, cookies...)
}

// logInFrom logs in from a browser with the user agent and returns the
// session cookie.
func (a *runningApp) logInFrom(t *testing.T, userAgent, username, password string) *http.Cookie {
	t.Helper()
	got := a.requestFrom(t, userAgent, "POST", "/login", url.Values{"username": {username}, "password": {password}})
	if got.StatusCode != http.StatusSeeOther || got.sessionCookie() == nil {
		t.Fatalf("logging in %s: status %d\n%s", username, got.StatusCode, got.body)
	}
	return got.sessionCookie()
}

// signUpFrom signs up from a browser with the user agent, with the
// address username@example.com, and returns the session cookie.
func (a *runningApp) signUpFrom(t *testing.T, userAgent, username, password string) *http.Cookie {
	t.Helper()
	got := a.requestFrom(t, userAgent, "POST", "/signup", url.Values{"username": {username}, "email": {username + "@example.com"}, "password": {password}})
	if got.StatusCode != http.StatusSeeOther || got.sessionCookie() == nil {
		t.Fatalf("signing up %s: status %d\n%s", username, got.StatusCode, got.body)
	}
	return got.sessionCookie()
}

// account returns the account page the cookie's session sees.
func (a *runningApp) account(t *testing.T, cookie *http.Cookie) answer {
	t.Helper()
	got := a.request(t, "GET", "/account", "", nil, cookie)
	if got.StatusCode != http.StatusOK {
		t.Fatalf("the account page: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	return got
}

var (
	sessionRowPattern = regexp.MustCompile(`(?s)<tr class="session[^"]*">.*?</tr>`)
	tagPattern        = regexp.MustCompile(`<[^>]+>`)
	spacePattern      = regexp.MustCompile(`\s+`)
)

// sessionRowsOf returns the text of each row of "Where you are signed
// in", as a person reads it.
func sessionRowsOf(body string) []string {
	var rows []string
	for _, row := range sessionRowPattern.FindAllString(body, -1) {
		rows = append(rows, strings.TrimSpace(spacePattern.ReplaceAllString(tagPattern.ReplaceAllString(row, " "), " ")))
	}
	return rows
}

// The account page lists where the user is signed in: each device in
// plain words, this one first and marked, a Lucia v1 app's session as
// such, and never a session's id.
func TestAccountListsWhereYouAreSignedIn(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUpFrom(t, firefoxOnLinux, "alma", "correct horse")
	phone := app.logInFrom(t, safariOnIPhone, "alma", "correct horse")
	legacy := app.insertLuciaSession(t, app.userIDOf(t, "alma"))

	page := app.account(t, laptop)
	rows := sessionRowsOf(page.body)
	if len(rows) != 3 {
		t.Fatalf("%d sessions listed, want 3:\n%s", len(rows), strings.Join(rows, "\n"))
	}
	if !strings.HasPrefix(rows[0], "Firefox on Linux This device 127.0.0.1 just now now") {
		t.Errorf("this device's row: %q", rows[0])
	}
	var sawPhone, sawLegacy bool
	for _, row := range rows[1:] {
		switch {
		case strings.HasPrefix(row, "Safari on iPhone 127.0.0.1 just now just now Sign out"):
			sawPhone = true
		case strings.HasPrefix(row, "Unknown device (signed in by another app) unknown unknown unknown Sign out"):
			sawLegacy = true
		}
	}
	if !sawPhone || !sawLegacy {
		t.Errorf("the other rows: %q; want the phone's and the Lucia session's", rows[1:])
	}
	for name, cookie := range map[string]*http.Cookie{"laptop": laptop, "phone": phone, "legacy": legacy} {
		if strings.Contains(page.body, cookie.Value) {
			t.Errorf("the page shows the %s session's id", name)
		}
	}
	for _, word := range []string{"new_sign_in", "login_failed", "signup", "HasMetadata", "Session "} {
		if strings.Contains(page.body, word) {
			t.Errorf("the page shows %q", word)
		}
	}
	if !strings.Contains(page.body, `id="revoke-others"`) {
		t.Error("no button signs out the other sessions")
	}
}

// Signing out another session ends it at once (its next request finds
// itself signed out) and leaves the others; "sign out all other
// sessions" leaves only this one. Neither needs sudo mode.
func TestRevokeSessionsFromTheAccountPage(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUpFrom(t, firefoxOnLinux, "bruno", "correct horse")
	phone := app.logInFrom(t, safariOnIPhone, "bruno", "correct horse")
	tablet := app.logInFrom(t, edgeOnWindows, "bruno", "correct horse")
	bruno := app.userIDOf(t, "bruno")
	app.clock.Advance(sudoLapse) // out of sudo mode: revoking does not need it

	got := app.request(t, "POST", revokeSessionPath, app.origin(), url.Values{"session": {auth.SessionLabel(phone.Value)}}, laptop)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=session-revoked" {
		t.Fatalf("revoking the phone: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	if got := app.request(t, "GET", "/account", "", nil, phone); got.Header.Get("Location") != "/login?m=expired" {
		t.Errorf("the phone after its revocation: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if n := app.sessionCount(t, bruno); n != 2 {
		t.Fatalf("bruno has %d sessions after revoking one of 3, want 2", n)
	}
	if rows := sessionRowsOf(app.account(t, laptop).body); len(rows) != 2 || strings.Contains(strings.Join(rows, "\n"), "iPhone") {
		t.Errorf("the list after revoking the phone: %q", rows)
	}

	got = app.request(t, "POST", revokeOthersPath, app.origin(), url.Values{}, laptop)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=other-sessions-revoked" {
		t.Fatalf("revoking the others: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if got := app.request(t, "GET", "/account", "", nil, tablet); got.Header.Get("Location") != "/login?m=expired" {
		t.Errorf("the tablet after 'all others': location %q", got.Header.Get("Location"))
	}
	if rows := sessionRowsOf(app.account(t, laptop).body); len(rows) != 1 || !strings.Contains(rows[0], "This device") {
		t.Errorf("after 'all others': %q", rows)
	}
	if got := app.request(t, "GET", "/account?m=other-sessions-revoked", "", nil, laptop); !strings.Contains(got.body, "Every other session was signed out") {
		t.Error("no notice says the other sessions were signed out")
	}
}

// The attacker's test: a signed-in user posts another user's session
// label, or the session's id itself, to the revoke form. Both are
// refused and nothing is deleted; so is a form posted from another site.
func TestAttackRevokeAnotherUsersSession(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	victim := app.signUp(t, "carla", "correct horse")
	victimPhone := app.logInFrom(t, safariOnIPhone, "carla", "correct horse")
	attacker := app.signUp(t, "mallory", "correct horse")
	carla := app.userIDOf(t, "carla")

	for name, value := range map[string]string{
		"the victim's session label": auth.SessionLabel(victimPhone.Value),
		"the victim's session id":    victimPhone.Value,
		"a made-up label":            "000000",
		"nothing":                    "",
	} {
		got := app.request(t, "POST", revokeSessionPath, app.origin(), url.Values{"session": {value}}, attacker)
		if got.StatusCode != http.StatusNotFound || !strings.Contains(errorMessage(got.body), "not one of yours") {
			t.Errorf("posting %s: status %d, error %q", name, got.StatusCode, errorMessage(got.body))
		}
		if strings.Contains(got.body, victimPhone.Value) {
			t.Errorf("posting %s: the answer shows the victim's session id", name)
		}
	}
	// From another site, with the victim's own cookie: the cross-origin
	// check refuses it before anything is looked at.
	got := app.requestWith(t, crossSite("https://evil.example"), "POST", revokeOthersPath, url.Values{}, victim)
	if got.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site 'sign out all others': status %d, want 403", got.StatusCode)
	}
	got = app.requestWith(t, crossSite("https://evil.example"), "POST", revokeSessionPath, url.Values{"session": {auth.SessionLabel(victimPhone.Value)}}, victim)
	if got.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site revoke: status %d, want 403", got.StatusCode)
	}
	if n := app.sessionCount(t, carla); n != 2 {
		t.Fatalf("carla has %d sessions after the attacks, want 2", n)
	}
	for _, cookie := range []*http.Cookie{victim, victimPhone} {
		app.account(t, cookie) // still signed in
	}
}

// Posting this device's own label is a logout, not an error.
func TestRevokeThisDeviceLogsOut(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUp(t, "dora", "correct horse")
	got := app.request(t, "POST", revokeSessionPath, app.origin(), url.Values{"session": {auth.SessionLabel(laptop.Value)}}, laptop)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/login?m=signed-out" {
		t.Fatalf("revoking this device: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if n := app.sessionCount(t, app.userIDOf(t, "dora")); n != 0 {
		t.Errorf("dora has %d sessions, want 0", n)
	}
}

// auditKinds returns the kinds of the user's events, newest first.
func (a *runningApp) auditKinds(t *testing.T, userID string) []string {
	t.Helper()
	events, err := a.store.ListAuditEvents(context.Background(), luciapg.AuditQuery{UserID: userID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	kinds := make([]string, len(events))
	for i, ev := range events {
		kinds[i] = ev.Kind
	}
	return kinds
}
