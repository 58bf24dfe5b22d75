package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestBrowserEmailAndPasswordReset walks the mailed-link flows in
// headless Chromium on two devices: sign up with an address, read the
// mail from the outbox, confirm the address; then forget the password,
// reset it from the mailed link, and find the other device signed out,
// the old password refused, the new one working and the link spent.
func TestBrowserEmailAndPasswordReset(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	browser := newBrowser(t)
	laptop := &page{t: t, ctx: browser, app: app}

	// Sign up: the account page says the address is unverified.
	laptop.open("/signup")
	laptop.submit(map[string]string{"#username": "Bea", "#email": "bea@example.com", "#password": "correct horse"}, "#submit")
	laptop.wantLocation("/account?m=welcome")
	laptop.wantText("#email-state", "(unverified)")
	laptop.screenshot("08-account-unverified")
	bea := app.userIDOf(t, "bea")

	// The mail's link shows a button; the button confirms the address.
	link, _ := app.lastLink(t, "bea@example.com")
	laptop.open(link.RequestURI())
	laptop.screenshot("09-confirm-email")
	if app.emailVerified(t, bea) {
		t.Fatal("opening the link verified the address before the button was pressed")
	}
	laptop.submit(nil, "#confirm-email")
	laptop.wantLocation("/account?m=email-verified")
	laptop.wantText("#notice", "your email address is confirmed")
	laptop.wantText("#email-state", "(verified)")
	if !app.emailVerified(t, bea) {
		t.Fatal("the address is not verified in the database")
	}

	// A second device.
	phone := &page{t: t, ctx: newDevice(t, browser), app: app}
	phone.open("/login")
	phone.submit(map[string]string{"#username": "bea", "#password": "correct horse"}, "#submit")
	phone.wantLocation("/account")
	if n := app.sessionCount(t, bea); n != 2 {
		t.Fatalf("bea has %d sessions on two devices, want 2", n)
	}

	// Forgot the password: the laptop logs out and asks for a link.
	laptop.submit(nil, "#logout")
	laptop.submit(nil, "#forgot-password")
	laptop.wantLocation("/forgot-password")
	laptop.submit(map[string]string{"#login": "bea@example.com"}, "#submit")
	laptop.wantText("#notice", "If an account with that email address or username exists")
	laptop.screenshot("10-forgot-password-sent")

	// The mailed link: a form; the new password signs every device out.
	link, _ = app.lastLink(t, "bea@example.com")
	if link.Path != "/reset-password" {
		t.Fatalf("the newest mail's link is %s, want a reset link", link)
	}
	laptop.open(link.RequestURI())
	laptop.screenshot("11-reset-password")
	laptop.submit(map[string]string{"#password": "battery staple"}, "#submit")
	laptop.wantLocation("/login?m=password-reset")
	laptop.wantText("#notice", "Your password was reset")
	if n := app.sessionCount(t, bea); n != 0 {
		t.Fatalf("after the reset bea has %d sessions, want 0", n)
	}
	phone.wantLocationAfterOpen("/account", "/login?m=expired")

	// The old password is refused, the new one works.
	laptop.submit(map[string]string{"#username": "bea", "#password": "correct horse"}, "#submit")
	laptop.wantText("#error", "Wrong username or password.")
	laptop.submit(map[string]string{"#username": "bea", "#password": "battery staple"}, "#submit")
	laptop.wantLocation("/account")

	// The link a second time is refused and changes nothing.
	phone.open(link.RequestURI())
	if status := phone.submit(map[string]string{"#password": "thief's choice"}, "#submit"); status != http.StatusBadRequest {
		t.Errorf("the reset link a second time: status %d, want %d", status, http.StatusBadRequest)
	}
	phone.wantText("#error", invalidLink)
	phone.screenshot("12-reset-link-used")
	phone.open("/login")
	phone.submit(map[string]string{"#username": "bea", "#password": "thief's choice"}, "#submit")
	phone.wantText("#error", "Wrong username or password.")
}

// TestBrowserOAuthSignIn walks "Sign in with ..." in headless Chromium
// through the test provider's own login page: the first sign-in creates a
// user, signing out and in again finds the same one, and the database
// holds one user with the one key "testprovider:4242".
func TestBrowserOAuthSignIn(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)
	p := &page{t: t, ctx: newBrowser(t), app: app}

	p.open("/login")
	p.screenshot("13-login-with-provider")
	p.submit(nil, "#oauth-login")
	p.wantText("body", "Allow") // the provider's page, on its own origin
	p.screenshot("14-provider-login")
	p.submit(map[string]string{"#login": "4242"}, "#allow")
	p.wantLocation("/account?m=welcome-oauth")
	p.wantText("#no-password", "This account has no password")
	p.wantText("#oauth-linked", "You can sign in with Test Provider.")
	p.screenshot("15-account-oauth")

	key, err := app.store.GetKey(context.Background(), "testprovider:4242")
	if err != nil {
		t.Fatalf("the key testprovider:4242: %v", err)
	}
	if n := app.userCount(t); n != 1 {
		t.Fatalf("%d users after the first sign-in, want 1", n)
	}

	p.submit(nil, "#logout")
	p.wantLocation("/login?m=signed-out")
	p.submit(nil, "#oauth-login")
	p.submit(map[string]string{"#login": "4242"}, "#allow")
	p.wantLocation("/account")
	p.wantText("#sessions tr.current", "This device")

	if n := app.userCount(t); n != 1 {
		t.Fatalf("%d users after signing in again, want 1", n)
	}
	if ids := app.keyIDs(t, key.UserID); len(ids) != 1 || ids[0] != "testprovider:4242" {
		t.Fatalf("the user's keys: %v, want [testprovider:4242]", ids)
	}
	if n := app.sessionCount(t, key.UserID); n != 1 {
		t.Fatalf("the user has %d sessions, want 1 (the first ended at sign-out)", n)
	}
}

// TestBrowserOAuthLink links a provider account in headless Chromium:
// another site's link to the sign-in URL leads a signed-in user to the
// account page and links nothing (finding 6 of issue 21); the account
// page's button, a form post, goes on to the provider (the
// Content-Security-Policy's form-action allows it) and links.
func TestBrowserOAuthLink(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)
	p := &page{t: t, ctx: newBrowser(t), app: app}
	p.open("/signup")
	p.submit(map[string]string{"#username": "Lena", "#email": "lena@example.com", "#password": "correct horse"}, "#submit")
	p.wantLocation("/account?m=welcome")
	lena := app.userIDOf(t, "lena")

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title><a id="go" href="%s/login/oauth">Claim</a>`, app.url)
	}))
	t.Cleanup(evil.Close)
	if err := p.navigateAway(evil.URL); err != nil {
		t.Fatal(err)
	}
	p.submit(nil, "#go")
	p.wantLocation("/account")
	if app.hasProviderKey(t, lena) {
		t.Fatal("another site's link to /login/oauth linked a provider account")
	}

	p.submit(nil, "#oauth-link")
	p.wantText("body", "Allow") // the provider's page, on its own origin
	p.submit(map[string]string{"#login": "2024"}, "#allow")
	p.wantLocation("/account?m=oauth-linked")
	p.wantText("#oauth-linked", "You can sign in with Test Provider.")
	p.screenshot("16-account-oauth-linked")
	if ids := app.keyIDs(t, lena); !slices.Contains(ids, "testprovider:2024") {
		t.Fatalf("lena's keys: %v, want testprovider:2024 among them", ids)
	}
}
