package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/memadapter"
)

func TestCheckOrigin(t *testing.T) {
	t.Parallel()
	a := auth.New(memadapter.New(), auth.Config{})
	production := authhttp.New(a, authhttp.Config{TrustedOrigins: []string{"https://App.Example.com/", "not an origin"}})
	local := authhttp.New(a, authhttp.Config{LocalDevelopment: true})
	tests := []struct {
		name     string
		sessions *authhttp.Sessions
		method   string
		host     string
		origin   string // "" sends none
		want     bool
	}{
		{"GET without Origin", production, http.MethodGet, "example.com", "", true},
		{"HEAD without Origin", production, http.MethodHead, "example.com", "", true},
		{"GET from another origin", production, http.MethodGet, "example.com", "https://evil.example", true},
		{"POST without Origin", production, http.MethodPost, "example.com", "", false},
		{"POST from the same origin", production, http.MethodPost, "example.com", "https://example.com", true},
		{"PUT from the same origin", production, http.MethodPut, "example.com", "https://example.com", true},
		{"DELETE from another origin", production, http.MethodDelete, "example.com", "https://evil.example", false},
		{"POST from a subdomain", production, http.MethodPost, "example.com", "https://sub.example.com", false},
		{"POST from the same host over http", production, http.MethodPost, "example.com", "http://example.com", false},
		{"POST from another port", production, http.MethodPost, "example.com", "https://example.com:8443", false},
		{"POST with the default port spelled out", production, http.MethodPost, "example.com:443", "https://example.com", true},
		{"POST to an upper-case Host", production, http.MethodPost, "Example.COM", "https://example.com", true},
		{"POST from a trusted origin", production, http.MethodPost, "example.com", "https://app.example.com", true},
		{"POST with Origin null", production, http.MethodPost, "example.com", "null", false},
		{"POST with an Origin carrying a path", production, http.MethodPost, "example.com", "https://example.com/form", false},
		{"POST with a non-web scheme", production, http.MethodPost, "example.com", "ftp://example.com", false},
		{"local POST over http", local, http.MethodPost, "localhost:8080", "http://localhost:8080", true},
		{"local POST from another port", local, http.MethodPost, "localhost:8080", "http://localhost:3000", false},
		{"local POST without Origin", local, http.MethodPost, "localhost:8080", "", false},
		{"local POST over https", local, http.MethodPost, "localhost:8080", "https://localhost:8080", true},
		{"POST to an IPv6 host", production, http.MethodPost, "[::1]:443", "https://[::1]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "/", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := tt.sessions.CheckOrigin(r); got != tt.want {
				t.Fatalf("CheckOrigin(%s %s, Origin %q) = %v, want %v", tt.method, tt.host, tt.origin, got, tt.want)
			}
		})
	}
}
