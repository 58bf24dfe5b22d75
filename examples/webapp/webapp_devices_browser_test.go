package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// setUserAgent makes the tab send userAgent from now on, as another
// browser on another device would.
func (p *page) setUserAgent(userAgent string) {
	p.t.Helper()
	err := chromedp.Do(p.ctx, func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, target, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: userAgent})
		return chromedp.Void{}, err
	})
	if err != nil {
		p.t.Fatalf("setting the user agent: %v", err)
	}
}

// TestBrowserWhereYouAreSignedIn drives "Where you are signed in" and
// "Recent activity" in headless Chromium, on devices with browsers of
// their own (a user agent each): both sessions are listed in plain words;
// signing out the phone from the laptop signs it out on its next request;
// "Sign out all other sessions" ends every other one; the activity shows
// the sign-ins.
func TestBrowserWhereYouAreSignedIn(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	browser := newBrowser(t)
	laptop := &page{t: t, ctx: browser, app: app}
	laptop.setUserAgent(firefoxOnLinux)
	phone := &page{t: t, ctx: newDevice(t, browser), app: app}
	phone.setUserAgent(safariOnIPhone)

	laptop.open("/signup")
	laptop.submit(map[string]string{"#username": "Nora", "#email": "nora@example.com", "#password": "correct horse"}, "#submit")
	laptop.wantLocation("/account?m=welcome")
	nora := app.userIDOf(t, "nora")
	phone.open("/login")
	phone.submit(map[string]string{"#username": "nora", "#password": "correct horse"}, "#submit")
	phone.wantLocation("/account")

	laptop.open("/account")
	laptop.wantText("#sessions tr.current", "Firefox on Linux")
	laptop.wantText("#sessions tr.current", "This device")
	laptop.wantText("#sessions tbody", "Safari on iPhone")
	if rows := laptop.count("#sessions tbody tr"); rows != 2 {
		t.Fatalf("the account page lists %d sessions, want 2", rows)
	}
	laptop.wantText("#activity", "Signed in")
	laptop.wantText("#activity", "Safari on iPhone")
	laptop.wantText("#activity", "Account created")
	laptop.screenshot("20-where-you-are-signed-in")
	phone.wantText("#sessions tr.current", "Safari on iPhone")

	// Sign the phone out from the laptop: its next request finds it out.
	laptop.submit(nil, "#sessions tr.session:not(.current) .revoke-session")
	laptop.wantLocation("/account?m=session-revoked")
	laptop.wantText("#notice", "That session was signed out")
	if rows := laptop.count("#sessions tbody tr"); rows != 1 {
		t.Fatalf("after signing the phone out the page lists %d sessions, want 1", rows)
	}
	laptop.wantText("#activity", "A session was signed out")
	phone.wantLocationAfterOpen("/account", "/login?m=expired")
	if n := app.sessionCount(t, nora); n != 1 {
		t.Fatalf("nora has %d sessions, want 1", n)
	}

	// Two devices again, then "Sign out all other sessions".
	phone.submit(map[string]string{"#username": "nora", "#password": "correct horse"}, "#submit")
	phone.wantLocation("/account")
	tablet := &page{t: t, ctx: newDevice(t, browser), app: app}
	tablet.setUserAgent(edgeOnWindows)
	tablet.open("/login")
	tablet.submit(map[string]string{"#username": "nora", "#password": "correct horse"}, "#submit")
	tablet.wantLocation("/account")
	laptop.open("/account")
	if rows := laptop.count("#sessions tbody tr"); rows != 3 {
		t.Fatalf("the account page lists %d sessions, want 3", rows)
	}
	laptop.wantText("#sessions tbody", "Edge on Windows")
	laptop.submit(nil, "#revoke-others")
	laptop.wantLocation("/account?m=other-sessions-revoked")
	laptop.screenshot("21-other-sessions-signed-out")
	phone.wantLocationAfterOpen("/account", "/login?m=expired")
	tablet.wantLocationAfterOpen("/account", "/login?m=expired")
	if n := app.sessionCount(t, nora); n != 1 {
		t.Fatalf("nora has %d sessions after 'all others', want 1", n)
	}
	laptop.wantLocationAfterOpen("/account", "/account")
}

// TestBrowserEmailChange changes the address end to end in headless
// Chromium: the account page's link leads to the form (sudo mode, fresh
// after sign-up), the link mailed to the new address (read from the
// outbox) shows a button, and the button changes the address.
func TestBrowserEmailChange(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	p := &page{t: t, ctx: newBrowser(t), app: app}
	p.open("/signup")
	p.submit(map[string]string{"#username": "Olle", "#email": "olle@example.com", "#password": "correct horse"}, "#submit")
	p.wantLocation("/account?m=welcome")

	p.submit(nil, "#email-change-link")
	p.wantLocation(emailChangePath)
	p.screenshot("22-email-change")
	p.submit(map[string]string{"#new-email": "olle.new@example.com"}, "#email-change-submit")
	p.wantLocation("/account?m=email-change-sent")
	p.wantText("#pending-email", "olle.new@example.com")
	p.wantText("#email", "olle@example.com")
	p.screenshot("23-email-change-pending")

	link, _ := app.lastLink(t, "olle.new@example.com")
	p.open(link.RequestURI())
	p.screenshot("24-email-change-confirm")
	p.submit(nil, "#confirm-email-change")
	p.wantLocation("/account?m=email-changed")
	p.wantText("#notice", "Your email address was changed.")
	p.wantText("#email", "olle.new@example.com")
	p.wantText("#email-state", "(verified)")
	if p.count("#pending-email") != 0 {
		t.Error("the page still shows a pending change")
	}
	p.wantText("#activity", "Email address changed")

	// The link again: a clear page, and the address stays.
	p.open(link.RequestURI())
	p.submit(nil, "#confirm-email-change")
	p.wantText("#error", invalidLink)
	p.screenshot("25-email-change-link-used")
	if addr, _ := app.emailOf(t, app.userIDOf(t, "olle")); !strings.EqualFold(addr, "olle.new@example.com") {
		t.Errorf("the address is %s", addr)
	}
}
