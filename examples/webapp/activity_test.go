package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
)

var (
	eventRowPattern = regexp.MustCompile(`(?s)<tr class="event">.*?</tr>`)
	moreLinkPattern = regexp.MustCompile(`<a href="([^"]+)" id="more-activity">`)
)

// eventRowsOf returns the text of each row of "Recent activity", as a
// person reads it, and the "More" link ("" when there is none).
func eventRowsOf(body string) ([]string, string) {
	var rows []string
	for _, row := range eventRowPattern.FindAllString(body, -1) {
		rows = append(rows, strings.TrimSpace(spacePattern.ReplaceAllString(tagPattern.ReplaceAllString(row, " "), " ")))
	}
	more := ""
	if m := moreLinkPattern.FindStringSubmatch(body); m != nil {
		more = html.UnescapeString(m[1])
	}
	return rows, more
}

// "Recent activity" shows the user's own events, newest first, in words:
// what happened, on which device, from where; another user sees none of
// them, whatever page they ask for.
func TestRecentActivityShowsOwnEventsOnly(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUpFrom(t, firefoxOnLinux, "elsa", "correct horse")
	for range 2 {
		got := app.requestFrom(t, safariOnIPhone, "POST", "/login", url.Values{"username": {"elsa"}, "password": {"wrong horse"}})
		if got.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong password: status %d", got.StatusCode)
		}
	}
	app.logInFrom(t, safariOnIPhone, "elsa", "correct horse")
	other := app.signUpFrom(t, edgeOnWindows, "finn", "correct horse")

	rows, more := eventRowsOf(app.account(t, laptop).body)
	want := []string{
		"just now Signed in with password Safari on iPhone 127.0.0.1",
		"just now Failed attempt to sign in: wrong password Safari on iPhone 127.0.0.1",
		"just now Failed attempt to sign in: wrong password Safari on iPhone 127.0.0.1",
		"just now Signed in with password Firefox on Linux 127.0.0.1",
		"just now Account created Firefox on Linux 127.0.0.1",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") || more != "" {
		t.Errorf("elsa's activity:\n%s\nmore %q; want\n%s", strings.Join(rows, "\n"), more, strings.Join(want, "\n"))
	}

	page := app.account(t, other)
	rows, _ = eventRowsOf(page.body)
	finnsOwn := "just now Signed in with password Edge on Windows 127.0.0.1\njust now Account created Edge on Windows 127.0.0.1"
	if strings.Join(rows, "\n") != finnsOwn {
		t.Errorf("finn's activity: %q", rows)
	}
	// A crafted cursor selects among finn's own events only.
	got := app.request(t, "GET", activityPath+"?before=9223372036854775807", "", nil, other)
	rows, _ = eventRowsOf(got.body)
	if got.StatusCode != http.StatusOK || strings.Join(rows, "\n") != finnsOwn {
		t.Errorf("finn's activity page from the largest cursor: status %d, %q", got.StatusCode, rows)
	}
	for _, word := range []string{"iPhone", "Firefox", "Failed attempt", "login_failed", "signup"} {
		if strings.Contains(page.body, word) || strings.Contains(got.body, word) {
			t.Errorf("finn's pages show %q", word)
		}
	}
	for _, bad := range []string{"", "0", "-1", "abc", "1e3"} {
		got := app.request(t, "GET", activityPath+"?before="+url.QueryEscape(bad), "", nil, other)
		if got.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(got.body), "does not exist") {
			t.Errorf("before=%q: status %d, error %q", bad, got.StatusCode, errorMessage(got.body))
		}
	}
}

// More events than the account page shows: "More" continues where it
// stopped, and the pages together show each event once.
func TestRecentActivityPages(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUpFrom(t, firefoxOnLinux, "gus", "correct horse")
	for range accountActivityEvents + 3 {
		app.logInFrom(t, firefoxOnLinux, "gus", "correct horse")
	}
	total := len(app.auditKinds(t, app.userIDOf(t, "gus")))
	if total <= accountActivityEvents {
		t.Fatalf("gus has %d events, want more than %d", total, accountActivityEvents)
	}
	first, more := eventRowsOf(app.account(t, laptop).body)
	if len(first) != accountActivityEvents || !strings.HasPrefix(more, activityPath+"?before=") {
		t.Fatalf("the account page: %d events, more %q; want %d and a link", len(first), more, accountActivityEvents)
	}
	got := app.request(t, "GET", more, "", nil, laptop)
	rest, next := eventRowsOf(got.body)
	if got.StatusCode != http.StatusOK || len(first)+len(rest) != total || next != "" {
		t.Errorf("the next page: status %d, %d events, more %q; want %d and no link", got.StatusCode, len(rest), next, total-len(first))
	}
	if len(rest) > 0 && !strings.Contains(rest[len(rest)-1], "Account created") {
		t.Errorf("the oldest event is %q, want the sign-up", rest[len(rest)-1])
	}
}

// Every kind of event reads as words, never as its kind's name.
func TestDescribeEvent(t *testing.T) {
	t.Parallel()
	a := &app{oauthName: "GitHub"}
	for ev, want := range map[luciapg.AuditEvent]string{
		{Kind: luciapg.AuditSignUp}:                                           "Account created",
		{Kind: luciapg.AuditLogin, Detail: "password+totp"}:                   "Signed in with password and authenticator app",
		{Kind: luciapg.AuditLogin, Detail: "oauth"}:                           "Signed in with GitHub",
		{Kind: luciapg.AuditLogin, Detail: "something new"}:                   "Signed in",
		{Kind: luciapg.AuditLoginFailed, Detail: "throttled"}:                 "Failed attempt to sign in: too many attempts",
		{Kind: luciapg.AuditLoginFailed}:                                      "Failed attempt to sign in",
		{Kind: luciapg.AuditLogout}:                                           "Signed out",
		{Kind: luciapg.AuditSessionRevoked}:                                   "A session was signed out",
		{Kind: luciapg.AuditPasswordChanged}:                                  "Password changed",
		{Kind: luciapg.AuditPasswordResetRequested}:                           "Password reset link requested",
		{Kind: luciapg.AuditPasswordResetCompleted}:                           "Password reset with a mailed link",
		{Kind: luciapg.AuditKeyLinked, Detail: usernameProvider}:              "Sign-in with a username and password added",
		{Kind: luciapg.AuditKeyUnlinked, Detail: "gitlab"}:                    "Sign-in with gitlab removed",
		{Kind: luciapg.AuditEmailChangeRequested}:                             "Change of email address requested",
		{Kind: luciapg.AuditEmailChanged}:                                     "Email address changed",
		{Kind: luciapg.AuditSecondFactorAdded, Detail: "totp"}:                "Two-step login: authenticator app added",
		{Kind: luciapg.AuditSecondFactorRemoved, Detail: "passkey"}:           "Two-step login: passkey removed",
		{Kind: luciapg.AuditSecondFactorRemoved, Detail: "luciapg mfa reset"}: "Two-step login: second factor removed",
		{Kind: "app_specific_thing"}:                                          "Other account activity",
	} {
		if got := a.describeEvent(ev); got != want {
			t.Errorf("%s (%q): %q, want %q", ev.Kind, ev.Detail, got, want)
		}
	}
}
