package authhttp

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// CheckOrigin is the CSRF check Middleware applies: GET and HEAD requests
// pass; any other must carry an Origin header equal to the request's own
// origin or to a trusted one. The request's own origin is https:// and its
// Host (also http:// with Config.LocalDevelopment): behind a proxy that
// terminates TLS the server sees plain HTTP while the browser's Origin says
// https. Lucia v1 compared the Origin with the origin of the request URL,
// which a Go server does not know for certain (r.URL has no scheme or host
// on a server); Host plus the configured scheme is the same check.
func (s *Sessions) CheckOrigin(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	origin, ok := normalizeOrigin(r.Header.Get("Origin"))
	if !ok {
		return false
	}
	if s.trustedOrigins[origin] {
		return true
	}
	if own, ok := normalizeOrigin("https://" + r.Host); ok && origin == own {
		return true
	}
	if !s.secure {
		if own, ok := normalizeOrigin("http://" + r.Host); ok && origin == own {
			return true
		}
	}
	return false
}

// normalizeOrigin returns origin as "scheme://host[:port]" in lower case
// without a default port, and false for anything else (an empty header,
// "null", a path, user info).
func normalizeOrigin(origin string) (string, bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if h, port, err := net.SplitHostPort(host); err == nil {
		if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]" // IPv6
			}
		}
	}
	return scheme + "://" + host, true
}
