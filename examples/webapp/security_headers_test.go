package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth"
)

// Every answer, whatever its status, tells the browser never to frame the
// page (the "sign out of all devices" button cannot be clickjacked), not to
// guess content types, and to keep paths and queries out of Referer
// headers sent elsewhere; with Secure cookies, to use HTTPS only.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{}, auth.Config{})
	answers := map[string]answer{
		"page":              app.request(t, "GET", "/login", "", nil),
		"redirect":          app.request(t, "GET", "/account", "", nil),
		"refused login":     app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"nobody"}, "password": {"x"}}),
		"cross-origin post": app.request(t, "POST", "/logout-all", "https://evil.example", url.Values{}),
		"not found":         app.request(t, "GET", "/no-such-page", "", nil),
	}
	for name, got := range answers {
		csp := got.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s (%d): Content-Security-Policy %q lacks frame-ancestors 'none'", name, got.StatusCode, csp)
		}
		if !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s (%d): Content-Security-Policy %q does not default to 'none'", name, got.StatusCode, csp)
		}
		// The passkey script is a file of the app's own: no inline
		// script, no eval, no other origin.
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s (%d): Content-Security-Policy %q allows more script than the app's own files", name, got.StatusCode, csp)
		}
		if v := got.Header.Get("X-Frame-Options"); v != "DENY" {
			t.Errorf("%s (%d): X-Frame-Options %q, want DENY", name, got.StatusCode, v)
		}
		if v := got.Header.Get("X-Content-Type-Options"); v != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q, want nosniff", name, got.StatusCode, v)
		}
		if v := got.Header.Get("Referrer-Policy"); v != "same-origin" {
			t.Errorf("%s (%d): Referrer-Policy %q, want same-origin", name, got.StatusCode, v)
		}
		if v := got.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(v, "max-age=") || v == "max-age=0" {
			t.Errorf("%s (%d): Strict-Transport-Security %q, want a max-age", name, got.StatusCode, v)
		}
	}
}

// A form may lead to the app itself and, with "Sign in with ..." on, to
// the provider's authorization origin (the link button's post is
// answered with a redirect there): no other origin.
func TestFormActionAllowsTheProviderOnly(t *testing.T) {
	t.Parallel()
	if got := contentSecurityPolicy(""); !strings.Contains(got, "form-action 'self';") {
		t.Errorf("without a provider: %q, want form-action 'self' alone", got)
	}
	app, provider := startAppWithProvider(t)
	origin, ok := sourceOrigin(provider.AuthURL())
	if !ok {
		t.Fatalf("the provider's authorization URL %q has no origin", provider.AuthURL())
	}
	csp := app.request(t, "GET", "/login", "", nil).Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+origin+";") {
		t.Errorf("with a provider at %s: %q", origin, csp)
	}
	for _, bad := range []string{"ftp://id.example/authorize", "https://id.example;script-src */a", "https://id .example/a", "/relative"} {
		if got, ok := sourceOrigin(bad); ok {
			t.Errorf("sourceOrigin(%q) = %q, want refused", bad, got)
		}
	}
}
