package authhttp

import (
	"net/http"
	"net/textproto"
	"strings"
)

// maxRequestCookies is net/http's default limit on the cookies of a
// request (GODEBUG httpcookiemaxnum): past it r.Cookie finds none.
const maxRequestCookies = 3000

// requestCookie returns the value of the request's first valid cookie
// named name, exactly as r.Cookie(name) would (FuzzRequestCookie checks
// it against net/http), but without building a slice of every cookie and
// a *http.Cookie: Middleware runs it on every request, where those were a
// fifth of its allocations.
func requestCookie(r *http.Request, name string) (string, bool) {
	lines := r.Header["Cookie"]
	count := 0
	for _, line := range lines {
		count += strings.Count(line, ";") + 1
	}
	if count > maxRequestCookies {
		return "", false
	}
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			k, v, _ := strings.Cut(textproto.TrimString(part), "=")
			if textproto.TrimString(k) != name {
				continue
			}
			if value, ok := cookieValue(v); ok {
				return value, true
			}
		}
	}
	return "", false
}

// cookieValue is a cookie's value without its optional double quotes, and
// false when a byte is one RFC 6265 does not allow there (net/http skips
// such a cookie).
func cookieValue(raw string) (string, bool) {
	if len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return raw, true
}
