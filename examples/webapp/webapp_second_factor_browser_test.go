package main

import (
	"strings"
	"testing"
	"time"
)

// TestBrowserAuthenticatorApp sets up an authenticator app in headless
// Chromium as a person would: the security page's button, the QR code
// (an image the Content-Security-Policy lets load from a data: URL) and
// the key read off the page, a code from oathtool, the ten recovery codes
// shown once; then logs out and in again through the second step, and
// enters sudo mode with a code.
func TestBrowserAuthenticatorApp(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	p := &page{t: t, ctx: newBrowser(t), app: app}

	p.open("/signup")
	p.submit(map[string]string{"#username": "Quinn", "#email": "quinn@example.com", "#password": "correct horse"}, "#submit")
	p.wantLocation("/account?m=welcome")
	p.submit(nil, "#security-link")
	p.wantLocation(securityPath)
	p.wantText("#totp-state", "Off.")
	p.submit(nil, "#totp-setup")
	if w := p.eval(`String(document.querySelector("#totp-qr").naturalWidth)`); w == "0" {
		t.Fatal("the QR code did not load")
	}
	p.screenshot("20-totp-setup")
	secret := strings.ReplaceAll(p.text("#totp-secret"), " ", "")
	if len(secret) < 16 {
		t.Fatalf("the manual key has %d characters", len(secret))
	}
	p.submit(map[string]string{"#totp-code": totpCode(t, secret, app.clock.Now())}, "#totp-confirm")
	p.wantText("h1", "Your recovery codes")
	if n := p.count("#recovery-codes .recovery-code"); n != 10 {
		t.Fatalf("the page shows %d recovery codes, want 10", n)
	}
	p.screenshot("21-recovery-codes")
	p.submit(nil, "#recovery-done")
	p.wantText("#totp-state", "On")
	p.wantText("#recovery-state", "You have 10 unused recovery codes.")

	// Log out and in: the password, then the app's code.
	p.submit(nil, "#logout")
	p.submit(map[string]string{"#username": "quinn", "#password": "correct horse"}, "#submit")
	p.wantLocation(secondStepPath)
	p.screenshot("22-second-step")
	p.submit(map[string]string{"#totp-code": "000000"}, "#totp-submit")
	p.wantText("#error", wrongCode)
	p.submit(map[string]string{"#totp-code": app.nextTOTPCode(t, secret)}, "#totp-submit")
	p.wantLocation("/account")
	p.wantText("h1", "Hello, quinn")

	// Later, a sensitive change asks again: the app's code will do.
	app.clock.Advance(time.Hour)
	p.submit(nil, "#logout-all")
	p.wantLocation(withNext(sudoPath, "/account"))
	p.screenshot("23-sudo-prompt")
	p.submit(map[string]string{"#sudo-totp": app.nextTOTPCode(t, secret)}, "#sudo-totp-submit")
	p.wantLocation("/account")
	p.submit(nil, "#logout-all")
	p.wantLocation("/login?m=signed-out-everywhere")
}
