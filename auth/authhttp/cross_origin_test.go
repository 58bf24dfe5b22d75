package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/memadapter"
)

// The first 21 cases are those of the hand-written Origin check this
// replaced; changed says why the standard library answers differently. The
// rest are about Sec-Fetch-Site, which every browser has sent since 2023
// and which decides when present.
func TestCheckCrossOrigin(t *testing.T) {
	t.Parallel()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Written as a person might; New normalizes it to https://app.example.com.
	production := mustNew(t, a, authhttp.Config{TrustedOrigins: []string{"https://App.Example.com/"}})
	local := mustNew(t, a, authhttp.Config{LocalDevelopment: true})
	tests := []struct {
		name         string
		sessions     *authhttp.Sessions
		method       string
		host         string
		origin       string // "" sends none
		secFetchSite string // "" sends none
		want         bool
		changed      string // why the answer is not the old check's; "" when it is the same
	}{
		{"GET without Origin", production, http.MethodGet, "example.com", "", "", true, ""},
		{"HEAD without Origin", production, http.MethodHead, "example.com", "", "", true, ""},
		{"GET from another origin", production, http.MethodGet, "example.com", "https://evil.example", "", true, ""},
		{"POST without Origin", production, http.MethodPost, "example.com", "", "", true,
			"neither Sec-Fetch-Site nor Origin: a non-browser client, which CSRF does not concern"},
		{"POST from the same origin", production, http.MethodPost, "example.com", "https://example.com", "", true, ""},
		{"PUT from the same origin", production, http.MethodPut, "example.com", "https://example.com", "", true, ""},
		{"DELETE from another origin", production, http.MethodDelete, "example.com", "https://evil.example", "", false, ""},
		{"POST from a subdomain", production, http.MethodPost, "example.com", "https://sub.example.com", "", false, ""},
		{"POST from the same host over http", production, http.MethodPost, "example.com", "http://example.com", "", true,
			"without Sec-Fetch-Site only Origin's host is compared with Host; a current browser sends Sec-Fetch-Site, and HSTS keeps it on https"},
		{"POST from another port", production, http.MethodPost, "example.com", "https://example.com:8443", "", false, ""},
		{"POST with the default port spelled out", production, http.MethodPost, "example.com:443", "https://example.com", "", false,
			"Origin's host is compared with Host byte for byte; a browser omits the default port from Host, and sends Sec-Fetch-Site"},
		{"POST to an upper-case Host", production, http.MethodPost, "Example.COM", "https://example.com", "", false,
			"Origin's host is compared with Host byte for byte; a browser writes Host in lower case, and sends Sec-Fetch-Site"},
		{"POST from a trusted origin", production, http.MethodPost, "example.com", "https://app.example.com", "", true, ""},
		{"POST with Origin null", production, http.MethodPost, "example.com", "null", "", false, ""},
		{"POST with an Origin carrying a path", production, http.MethodPost, "example.com", "https://example.com/form", "", true,
			"only Origin's host is compared; no browser sends a path in Origin"},
		{"POST with a non-web scheme", production, http.MethodPost, "example.com", "ftp://example.com", "", true,
			"only Origin's host is compared; no browser sends such an Origin"},
		{"local POST over http", local, http.MethodPost, "localhost:8080", "http://localhost:8080", "", true, ""},
		{"local POST from another port", local, http.MethodPost, "localhost:8080", "http://localhost:3000", "", false, ""},
		{"local POST without Origin", local, http.MethodPost, "localhost:8080", "", "", true,
			"neither Sec-Fetch-Site nor Origin: a non-browser client, which CSRF does not concern"},
		{"local POST over https", local, http.MethodPost, "localhost:8080", "https://localhost:8080", "", true, ""},
		{"POST to an IPv6 host", production, http.MethodPost, "[::1]:443", "https://[::1]", "", false,
			"Origin's host is compared with Host byte for byte; a browser omits the default port from Host, and sends Sec-Fetch-Site"},

		{"OPTIONS from another origin", production, http.MethodOptions, "example.com", "https://evil.example", "cross-site", true, ""},
		{"cross-site POST", production, http.MethodPost, "example.com", "https://evil.example", "cross-site", false, ""},
		{"cross-site POST without Origin", production, http.MethodPost, "example.com", "", "cross-site", false, ""},
		{"cross-site POST whose Origin matches Host", production, http.MethodPost, "example.com", "https://example.com", "cross-site", false, ""},
		{"same-site POST from a subdomain", production, http.MethodPost, "example.com", "https://sub.example.com", "same-site", false, ""},
		{"same-origin POST", production, http.MethodPost, "example.com", "https://example.com", "same-origin", true, ""},
		{"same-origin POST with the default port in Host", production, http.MethodPost, "example.com:443", "https://example.com", "same-origin", true, ""},
		{"same-origin POST to an upper-case Host", production, http.MethodPost, "Example.COM", "https://example.com", "same-origin", true, ""},
		{"POST the user started (Sec-Fetch-Site none)", production, http.MethodPost, "example.com", "", "none", true, ""},
		{"same-site POST from the trusted origin", production, http.MethodPost, "example.com", "https://app.example.com", "same-site", true, ""},
		{"cross-site POST from the trusted origin", production, http.MethodPost, "example.com", "https://app.example.com", "cross-site", true, ""},
		{"local same-site POST from another port", local, http.MethodPost, "localhost:8080", "http://localhost:3000", "same-site", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "/", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.secFetchSite != "" {
				r.Header.Set("Sec-Fetch-Site", tt.secFetchSite)
			}
			err := tt.sessions.CheckCrossOrigin(r)
			if got := err == nil; got != tt.want {
				t.Fatalf("CheckCrossOrigin(%s to %s, Origin %q, Sec-Fetch-Site %q) = %v, want passing %v (%s)",
					tt.method, tt.host, tt.origin, tt.secFetchSite, err, tt.want, tt.changed)
			}
		})
	}
}

// Trusted origins are compared with the Origin header byte for byte, and a
// browser writes it in lower case without a default port: New writes the
// configured ones that way, so a differently spelled one still matches.
func TestTrustedOriginsAreNormalized(t *testing.T) {
	t.Parallel()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, configured := range []string{
		"https://app.example.com", "https://App.Example.COM", "https://app.example.com/",
		"HTTPS://app.example.com", "https://app.example.com:443",
	} {
		s := mustNew(t, a, authhttp.Config{TrustedOrigins: []string{configured}})
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Host = "example.com"
		r.Header.Set("Origin", "https://app.example.com")
		r.Header.Set("Sec-Fetch-Site", "same-site")
		if err := s.CheckCrossOrigin(r); err != nil {
			t.Errorf("trusted origin %q: a POST from https://app.example.com is refused: %v", configured, err)
		}
		r.Header.Set("Origin", "https://app.example.com:8443")
		if err := s.CheckCrossOrigin(r); err == nil {
			t.Errorf("trusted origin %q: a POST from https://app.example.com:8443 passes", configured)
		}
	}
}

// A page on another site posts a form to the site with the user's cookie:
// the browser marks it Sec-Fetch-Site: cross-site, and the middleware
// refuses it before reading the cookie (an idle session is not even
// renewed). The same request marked same-origin reaches the handler with
// its session. The header decides even when Origin matches Host.
func TestMiddlewareDecidesBySecFetchSite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memadapter.New(memadapter.Column{Name: "username"}), authhttp.Config{})
	f.clock.Advance(36 * time.Hour) // idle: a validation would renew it
	for _, origin := range []string{"https://evil.example", "", "https://example.com"} {
		r := requestWithCookie(http.MethodPost, f.session.ID)
		r.Header.Del("Origin")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, s := f.serve(r)
		if resp.StatusCode != http.StatusForbidden || s.called || sessionCookie(resp) != nil {
			t.Fatalf("cross-site POST, Origin %q: status %d, handler called %v, Set-Cookie %v; want 403, not called, no cookie",
				origin, resp.StatusCode, s.called, sessionCookie(resp))
		}
	}

	r := requestWithCookie(http.MethodPost, f.session.ID)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, s := f.serve(r)
	if resp.StatusCode != http.StatusNoContent || !s.hasSession || s.session.ID != f.session.ID {
		t.Fatalf("same-origin POST: status %d, handler saw %+v; want 204 with session %s", resp.StatusCode, s, f.session.ID)
	}
}
