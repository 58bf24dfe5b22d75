package main

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// sudoLapse is longer than any sudo period the app uses: a session this
// old is no longer freshly authenticated.
const sudoLapse = 2 * time.Hour

// Issue 22: whoever holds the session of an account made by "Sign in
// with ..." (a cookie copied from a browser left open, an hour after its
// owner signed in) chooses a username and password for it, and keeps a
// way in after the owner signs out of all devices. Setting a first
// password needs sudo mode, which for such an account is a fresh sign-in
// with the provider: the thief has only their own provider account, which
// neither passes sudo mode nor gets linked by trying.
func TestAttackOAuthOnlySessionSetsPassword(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	stolen := app.oauthSignIn(t, "9001").sessionCookie()
	owner := app.sessionUserID(t, stolen)
	app.clock.Advance(sudoLapse)

	setPassword := func() answer {
		return app.request(t, "POST", "/password/set", app.origin(), url.Values{"username": {"mallory"}, "new_password": {"thief's password"}}, stolen)
	}
	first := setPassword()
	// The sudo prompt's "Sign in again with ...", through the thief's own
	// provider account, then the form again.
	start := app.request(t, "POST", "/sudo/oauth", app.origin(), url.Values{"next": {"/account"}}, stolen)
	app.throughProvider(t, provider, start, "666", stolen)
	second := setPassword()

	// The owner, on another device, signs out of all devices.
	fresh := app.oauthSignIn(t, "9001").sessionCookie()
	if got := app.sessionUserID(t, fresh); got != owner {
		t.Fatalf("the owner's second sign-in opened the account of %s", got)
	}
	out := app.request(t, "POST", "/logout-all", app.origin(), url.Values{}, fresh)
	if out.StatusCode != http.StatusSeeOther || out.Header.Get("Location") != "/login?m=signed-out-everywhere" {
		t.Fatalf("the owner's fresh session could not sign out of all devices: status %d, location %q\n%s", out.StatusCode, out.Header.Get("Location"), out.body)
	}

	if cookie, ok := app.logIn(t, "mallory", "thief's password"); ok && app.sessionUserID(t, cookie) == owner {
		t.Fatalf("after its owner signed out of all devices, the thief logged in to the account with the password chosen from its stolen session (the form answered %d to %q, then %d to %q)",
			first.StatusCode, first.Header.Get("Location"), second.StatusCode, second.Header.Get("Location"))
	}
	if ids := app.keyIDs(t, owner); !slices.Equal(ids, []string{"testprovider:9001"}) {
		t.Errorf("the owner's keys: %v, want [testprovider:9001] (no password, no thief's provider account)", ids)
	}
	if got := app.request(t, "GET", "/account", "", nil, stolen); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/login?m=expired" {
		t.Errorf("the stolen session after signing out of all devices: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
}

// The same way in through the link button: whoever holds a stale session
// of a password account links their own provider account to it, and
// signs in with that after the owner changed the password and signed out
// of all devices. Linking a way to sign in needs sudo mode too, which the
// thief, without the password, cannot enter.
func TestAttackStolenSessionLinksProviderAccount(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	stolen := app.signUp(t, "olive", "correct horse")
	owner := app.userIDOf(t, "olive")
	app.clock.Advance(sudoLapse)

	start := app.request(t, "POST", oauthLinkPath, app.origin(), url.Values{}, stolen)
	linked := app.throughProvider(t, provider, start, "666", stolen)

	// The owner, on another device, changes the password (which ends the
	// other sessions) and signs out of all devices.
	fresh, ok := app.logIn(t, "olive", "correct horse")
	if !ok {
		t.Fatal("the owner cannot log in")
	}
	changed := app.request(t, "POST", "/password", app.origin(), url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}}, fresh)
	if changed.StatusCode != http.StatusSeeOther || changed.Header.Get("Location") != "/account?m=password-changed" {
		t.Fatalf("the owner's password change: status %d, location %q\n%s", changed.StatusCode, changed.Header.Get("Location"), changed.body)
	}
	out := app.request(t, "POST", "/logout-all", app.origin(), url.Values{}, changed.sessionCookie())
	if out.Header.Get("Location") != "/login?m=signed-out-everywhere" {
		t.Fatalf("the owner's sign-out of all devices: status %d, location %q\n%s", out.StatusCode, out.Header.Get("Location"), out.body)
	}

	got := app.oauthSignIn(t, "666")
	if c := got.sessionCookie(); c != nil && c.Value != "" && app.sessionUserID(t, c) == owner {
		t.Fatalf("after its owner changed the password and signed out of all devices, the thief signed in to the account with the provider account linked from its stolen session (the link answered %d to %q)",
			linked.StatusCode, linked.Header.Get("Location"))
	}
	if app.hasProviderKey(t, owner) {
		t.Error("the thief's provider account is linked to the owner's account")
	}
}
