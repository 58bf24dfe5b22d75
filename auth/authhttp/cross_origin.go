package authhttp

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// CheckCrossOrigin is the CSRF check Middleware applies: the standard
// library's http.CrossOriginProtection with Config.TrustedOrigins. It
// returns nil for a request to let through and an error saying why for one
// to refuse.
//
// GET, HEAD and OPTIONS requests pass. Any other passes when its
// Sec-Fetch-Site header, which every browser has sent since 2023 and a page
// cannot forge, is same-origin or none (the user typed the address); any
// other value (cross-site, same-site) is refused. Without that header, an
// Origin whose host[:port] is the request's Host passes, whatever its
// scheme, and another is refused. A request with neither header passes:
// current browsers send one with every cross-origin request, so it comes
// from a non-browser client (curl, a server, a test), which can send any
// cookie it holds anyway and is no CSRF threat, or from a browser too old
// to send Origin. A request whose Origin is a trusted origin passes in
// every case.
func (s *Sessions) CheckCrossOrigin(r *http.Request) error {
	return s.crossOrigin.Check(r)
}

// newCrossOriginProtection returns the standard library's protection
// trusting origins, or an error naming the first origin that is not
// "scheme://host[:port]" with scheme http or https.
func newCrossOriginProtection(origins []string) (*http.CrossOriginProtection, error) {
	protection := http.NewCrossOriginProtection()
	for _, origin := range origins {
		normalized, ok := normalizeOrigin(origin)
		if !ok {
			return nil, fmt.Errorf("authhttp: trusted origin %q is not scheme://host[:port] with scheme http or https", origin)
		}
		if err := protection.AddTrustedOrigin(normalized); err != nil {
			return nil, fmt.Errorf("authhttp: trusted origin %q: %w", origin, err)
		}
	}
	return protection, nil
}

// normalizeOrigin returns origin as a browser writes its Origin header,
// "scheme://host[:port]" in lower case without a default port (the
// standard library compares a trusted origin with the header byte for
// byte), and false for anything else: an empty string, "null", a path
// other than "/", a query, a fragment, user info, a scheme other than http
// or https, a port that is not a number.
func normalizeOrigin(origin string) (string, bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	if u.Hostname() == "" || strings.HasSuffix(u.Host, ":") {
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
