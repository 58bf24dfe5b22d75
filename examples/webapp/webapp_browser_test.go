package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/luciapg/luciapg/auth"
)

// TestBrowserJourney drives the app in headless Chromium the way a person
// would, on two devices, and checks what the database holds after each
// step that should change it.
func TestBrowserJourney(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{insecureDevCookies: true}, auth.Config{KeyThrottle: smallKeyThrottle})
	browser := newBrowser(t)
	laptop := &page{t: t, ctx: browser, app: app}

	// Sign up.
	laptop.wantLocationAfterOpen("/", "/login")
	laptop.open("/signup")
	// The style sheet loads under the Content-Security-Policy (the layout
	// sets the body's margin to 0; a browser's default is 8px).
	if margin := laptop.eval(`getComputedStyle(document.body).marginTop`); margin != "0px" {
		t.Errorf("the style sheet did not apply: body margin %q", margin)
	}
	laptop.screenshot("01-signup")
	laptop.submit(map[string]string{"#username": "Alice", "#email": "alice@example.com", "#password": "correct horse"}, "#submit")
	laptop.wantLocation("/account?m=welcome")
	laptop.wantText("#notice", "Welcome")
	laptop.wantText("h1", "Hello, alice")
	alice := app.userIDOf(t, "alice")

	// Log out.
	laptop.submit(nil, "#logout")
	laptop.wantLocation("/login?m=signed-out")
	laptop.wantText("#notice", "You have logged out.")
	if n := app.sessionCount(t, alice); n != 0 {
		t.Fatalf("after logging out alice has %d sessions, want 0", n)
	}

	// The name is taken, whatever its case.
	laptop.open("/signup")
	if status := laptop.submit(map[string]string{"#username": "ALICE", "#email": "alice2@example.com", "#password": "another password"}, "#submit"); status != http.StatusConflict {
		t.Errorf("signing up with a taken name: status %d, want %d", status, http.StatusConflict)
	}
	laptop.wantText("#error", "The username “alice” is taken.")
	laptop.screenshot("02-signup-username-taken")

	// A wrong password, then an unknown name, then the right password.
	laptop.open("/login")
	if status := laptop.submit(map[string]string{"#username": "alice", "#password": "wrong horse"}, "#submit"); status != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want %d", status, http.StatusUnauthorized)
	}
	laptop.wantText("#error", "Wrong username or password.")
	laptop.screenshot("03-login-wrong-password")
	laptop.submit(map[string]string{"#username": "bob", "#password": "whatever1"}, "#submit")
	laptop.wantText("#error", "Wrong username or password.")

	// An account made without a password (the admin CLI's `users create
	// --key username:dave`) cannot be entered with an empty one, even with
	// the form's "required" removed, as an attacker would.
	seedAccount(t, app.store, "dave-id", "dave", nil)
	laptop.eval(`const p = document.querySelector("#password"); p.removeAttribute("required"); p.value = ""; p.value`)
	if status := laptop.submit(map[string]string{"#username": "dave"}, "#submit"); status != http.StatusUnauthorized {
		t.Errorf("an empty password: status %d, want %d", status, http.StatusUnauthorized)
	}
	laptop.wantText("#error", "Wrong username or password.")
	if n := app.sessionCount(t, "dave-id"); n != 0 {
		t.Fatalf("after an empty password dave has %d sessions, want 0", n)
	}

	// A guesser is slowed down: after a few wrong passwords the form
	// answers 429 with a plain sentence, even to the right password,
	// until the wait is over (the auth core's clock moves past it).
	status := int64(http.StatusUnauthorized)
	for attempt := 0; attempt < 10 && status == http.StatusUnauthorized; attempt++ {
		status = laptop.submit(map[string]string{"#username": "alice", "#password": fmt.Sprintf("guess %d", attempt)}, "#submit")
	}
	if status != http.StatusTooManyRequests {
		t.Fatalf("guessing alice's password: status %d, want %d", status, http.StatusTooManyRequests)
	}
	laptop.wantText("#error", "Too many attempts. Please wait")
	laptop.screenshot("03-login-throttled")
	if status := laptop.submit(map[string]string{"#username": "alice", "#password": "correct horse"}, "#submit"); status != http.StatusTooManyRequests {
		t.Fatalf("the right password while throttled: status %d, want %d", status, http.StatusTooManyRequests)
	}
	app.clock.Advance(2 * time.Hour)
	laptop.submit(map[string]string{"#username": "alice", "#password": "correct horse"}, "#submit")
	laptop.wantLocation("/account")

	// A second device; the account page lists both sessions.
	phone := &page{t: t, ctx: newDevice(t, browser), app: app}
	phone.wantLocationAfterOpen("/account", "/login?m=login-required")
	phone.submit(map[string]string{"#username": "alice", "#password": "correct horse"}, "#submit")
	phone.wantLocation("/account")
	phone.wantText("#sessions tr.current", "This device")
	if rows := phone.count("#sessions tbody tr"); rows != 2 {
		t.Fatalf("the account page lists %d sessions, want 2", rows)
	}
	phone.screenshot("04-account")

	// A form on another origin posting to the app is refused: the session
	// cookie goes along (same site, SameSite=Lax), the Origin check stops it.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title>
<form id="f" method="post" action="%s/logout-all"><button id="go">Claim</button></form>`, app.url)
	}))
	t.Cleanup(evil.Close)
	if err := laptop.navigateAway(evil.URL); err != nil {
		t.Fatal(err)
	}
	if status := laptop.submit(nil, "#go"); status != http.StatusForbidden {
		t.Errorf("cross-origin POST: status %d, want %d", status, http.StatusForbidden)
	}
	laptop.screenshot("05-cross-origin-post-refused")
	if n := app.sessionCount(t, alice); n != 2 {
		t.Fatalf("after a refused cross-origin POST alice has %d sessions, want 2", n)
	}
	laptop.wantLocationAfterOpen("/account", "/account")

	// Change the password: the wrong current one is refused; the right one
	// signs out the other device and keeps this one in.
	laptop.submit(map[string]string{"#current-password": "not it", "#new-password": "battery staple"}, "#change-password")
	laptop.wantText("#error", "Your current password is wrong.")
	laptop.submit(map[string]string{"#current-password": "correct horse", "#new-password": "battery staple"}, "#change-password")
	laptop.wantLocation("/account?m=password-changed")
	laptop.wantText("#notice", "Your password was changed")
	phone.wantLocationAfterOpen("/account", "/login?m=expired")
	phone.wantText("#error", "Your session has expired or was signed out.")
	phone.submit(map[string]string{"#username": "alice", "#password": "correct horse"}, "#submit")
	phone.wantText("#error", "Wrong username or password.")
	phone.submit(map[string]string{"#username": "alice", "#password": "battery staple"}, "#submit")
	phone.wantLocation("/account")

	// Sign out everywhere: both devices are out.
	laptop.open("/account")
	laptop.submit(nil, "#logout-all")
	laptop.wantLocation("/login?m=signed-out-everywhere")
	laptop.wantText("#notice", "You were signed out of all devices.")
	laptop.screenshot("06-signed-out-everywhere")
	phone.wantLocationAfterOpen("/account", "/login?m=expired")
	if n := app.sessionCount(t, alice); n != 0 {
		t.Fatalf("after signing out everywhere alice has %d sessions, want 0", n)
	}

	// Time passes: an idle session is renewed on use, a dead one expires.
	laptop.open("/login")
	laptop.submit(map[string]string{"#username": "alice", "#password": "battery staple"}, "#submit")
	laptop.wantLocation("/account")
	app.clock.Advance(3 * 24 * time.Hour) // past the 24 h active period: idle
	laptop.wantLocationAfterOpen("/account", "/account")
	// Renewed in place: this device's session is still the only one.
	laptop.wantText("#sessions tbody tr:first-child", "This device")
	if n := app.sessionCount(t, alice); n != 1 {
		t.Fatalf("after renewal alice has %d sessions, want 1", n)
	}
	app.clock.Advance(15 * 24 * time.Hour) // past the renewed session's idle period: dead
	laptop.wantLocationAfterOpen("/account", "/login?m=expired")
	laptop.wantText("#error", "Your session has expired")
	laptop.screenshot("07-session-expired")
	if n := app.sessionCount(t, alice); n != 0 {
		t.Fatalf("after the session expired alice has %d live sessions, want 0", n)
	}
}
