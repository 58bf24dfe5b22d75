package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/luciapg/luciapg/auth"
)

// startAppAtLocalhost serves the app as startApp does, at
// http://localhost:PORT: browsers refuse an IP address as a passkey's
// relying party, and treat localhost as a secure context over plain HTTP.
func startAppAtLocalhost(t *testing.T) *runningApp {
	t.Helper()
	listener := loopbackListener(t)
	_, port, _ := strings.Cut(listener.Addr().String(), ":")
	public := "http://localhost:" + port
	app := startAppOn(t, listener, appConfig{insecureDevCookies: true, publicURL: public}, auth.Config{})
	app.url = public
	return app
}

// addVirtualAuthenticator gives the tab a platform authenticator through
// the DevTools protocol: CTAP2 over the internal transport, holding
// discoverable credentials, verifying its user (as a fingerprint would)
// without asking.
func addVirtualAuthenticator(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Action[webauthn.AuthenticatorID](func(ctx context.Context, target *chromedp.Target) (webauthn.AuthenticatorID, error) {
		if _, err := cdp.Call(ctx, target, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return "", err
		}
		res, err := cdp.Call(ctx, target, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		}})
		return res.AuthenticatorID, err
	}))
	if err != nil {
		t.Fatalf("adding a virtual authenticator: %v", err)
	}
}

// clickAndWait clicks button, which runs static/passkey.js, and waits for
// the script to take the browser to want, or fails with the page's error.
func (p *page) clickAndWait(button, want string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
		p.t.Fatalf("clicking %s: %v", button, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if p.location() == want {
			// The new page has loaded once its body is there.
			if err := chromedp.Do(p.ctx, chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
				p.t.Fatal(err)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("after clicking %s the browser is at %s, want %s; the page says %q", button, p.location(), want, p.text("#passkey-error"))
}

// setCookie gives the tab's browser a cookie for the app, as another
// program sharing the domain (a Lucia v1 app) would have set it.
func (p *page) setCookie(c *http.Cookie) {
	p.t.Helper()
	httpOnly := true
	err := chromedp.Do(p.ctx, func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, target, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: p.app.url + "/", Path: "/", HTTPOnly: &httpOnly})
		return chromedp.Void{}, err
	})
	if err != nil {
		p.t.Fatalf("setting the cookie %s: %v", c.Name, err)
	}
}

// passkeyCount counts the user's passkeys in the database.
func (a *runningApp) passkeyCount(t *testing.T, userID string) int {
	t.Helper()
	var n int
	if err := a.db.QueryRow(context.Background(), `SELECT count(*) FROM luciapg_passkey WHERE user_id = $1`, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBrowserPasskeys drives passkeys in headless Chromium with the
// DevTools virtual authenticator: register one (the page's script, under
// the Content-Security-Policy, calls navigator.credentials.create), log
// out and in without a password ("Sign in with a passkey": a discoverable
// credential with user verification), then with the password and the
// passkey as the second factor, step a Lucia v1 app's session up with it,
// rename it, pass the sudo prompt with it an hour later to remove it,
// after which the password alone logs in again.
func TestBrowserPasskeys(t *testing.T) {
	t.Parallel()
	app := startAppAtLocalhost(t)
	p := &page{t: t, ctx: newBrowser(t), app: app}
	addVirtualAuthenticator(t, p.ctx)

	p.open("/signup")
	p.submit(map[string]string{"#username": "Pia", "#email": "pia@example.com", "#password": "correct horse"}, "#submit")
	p.wantLocation("/account?m=welcome")
	pia := app.userIDOf(t, "pia")
	p.open(securityPath)
	p.submit(nil, "#passkeys-link")
	p.wantLocation(passkeysPath)
	p.wantText("#no-passkeys", "You have no passkeys yet.")
	p.submit(nil, "#passkey-add")
	p.wantLocation(newPasskeyPath)
	if err := chromedp.Do(p.ctx, chromedp.SetValue(chromedp.CSS("#passkey-name"), "Laptop")); err != nil {
		t.Fatal(err)
	}
	p.clickAndWait("#passkey-button", passkeysPath+"?m=passkey-added")
	p.wantText("#passkeys tbody", "Laptop")
	p.screenshot("30-passkeys")
	if n := app.passkeyCount(t, pia); n != 1 {
		t.Fatalf("pia has %d passkeys in the database, want 1", n)
	}

	// Passwordless.
	p.submit(nil, "#logout")
	p.wantLocation("/login?m=signed-out")
	p.screenshot("31-login-with-passkey")
	p.clickAndWait("#passkey-button", "/account")
	p.wantText("h1", "Hello, pia")
	p.open(passkeysPath)
	if p.text("#passkeys tbody td:nth-child(3)") == "never" {
		t.Error("the passkey's last use is not shown after signing in with it")
	}

	// The password, then the passkey as the second factor.
	p.submit(nil, "#logout")
	p.submit(map[string]string{"#username": "pia", "#password": "correct horse"}, "#submit")
	p.wantLocation(secondStepPath)
	p.screenshot("32-second-step-passkey")
	p.clickAndWait("#passkey-button", "/account")
	p.wantText("h1", "Hello, pia")

	// A session a Lucia v1 app made with the password alone is stepped
	// up in place with the passkey.
	p.submit(nil, "#logout")
	lucia := app.insertLuciaSession(t, pia)
	p.setCookie(lucia)
	p.wantLocationAfterOpen("/account", withNext(sessionSecondStepPath, "/account"))
	p.clickAndWait("#passkey-button", "/account")
	p.wantText("h1", "Hello, pia")

	// Rename (a label: no sudo mode), then, an hour later, remove: the
	// sudo prompt takes the passkey, and returns to the page.
	p.open(passkeysPath)
	p.submit(map[string]string{`#passkeys input[name="name"]`: "Work laptop"}, ".passkey-rename")
	p.wantLocation(passkeysPath + "?m=passkey-renamed")
	p.wantText("#passkeys tbody", "Work laptop")
	app.clock.Advance(time.Hour)
	p.submit(nil, ".passkey-remove")
	p.wantLocation(withNext(sudoPath, passkeysPath))
	p.screenshot("33-sudo-passkey")
	p.clickAndWait("#passkey-button", passkeysPath)
	p.submit(nil, ".passkey-remove")
	p.wantLocation(passkeysPath + "?m=passkey-removed")
	p.wantText("#no-passkeys", "You have no passkeys yet.")
	if n := app.passkeyCount(t, pia); n != 0 {
		t.Fatalf("pia has %d passkeys after removing hers, want 0", n)
	}
	p.submit(nil, "#logout")
	p.submit(map[string]string{"#username": "pia", "#password": "correct horse"}, "#submit")
	p.wantLocation("/account")
}
