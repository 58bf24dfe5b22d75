package authhttp

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzRequestCookie: requestCookie finds what r.Cookie finds, in any
// Cookie header lines.
func FuzzRequestCookie(f *testing.F) {
	for _, seed := range [][2]string{
		{"auth_session=abc", ""},
		{"a=1; auth_session=abc; b=2", ""},
		{` auth_session = "abc" ;x=y`, ""},
		{"auth_session=a\\b; auth_session=good", ""},
		{"auth_session=", "auth_session=second"},
		{`auth_session="`, `auth_session=""`},
		{"auth_session=a b;", "\tauth_session=c"},
		{"x=1;;;auth_session=é", "auth_session=ok"},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		r := &http.Request{Header: http.Header{"Cookie": {line1, line2}}}
		want, err := r.Cookie(DefaultCookieName)
		got, ok := requestCookie(r, DefaultCookieName)
		if (err == nil) != ok || (ok && got != want.Value) {
			t.Fatalf("requestCookie(%q, %q) = %q, %v; r.Cookie = %+v, %v", line1, line2, got, ok, want, err)
		}
	})
}

// TestRequestCookieLimit: past net/http's limit on cookies, neither finds
// the session cookie.
func TestRequestCookieLimit(t *testing.T) {
	t.Parallel()
	for _, n := range []int{maxRequestCookies - 1, maxRequestCookies} {
		line := strings.Repeat("x=1; ", n) + DefaultCookieName + "=abc"
		r := &http.Request{Header: http.Header{"Cookie": {line}}}
		_, err := r.Cookie(DefaultCookieName)
		_, ok := requestCookie(r, DefaultCookieName)
		if (err == nil) != ok {
			t.Fatalf("%d other cookies: requestCookie found %v, r.Cookie's error %v", n, ok, err)
		}
		if want := n < maxRequestCookies; ok != want {
			t.Fatalf("%d other cookies: found %v, want %v", n, ok, want)
		}
	}
}
