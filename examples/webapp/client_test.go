package main

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// answer is one response of the app, its body read.
type answer struct {
	*http.Response
	body string
}

// sessionCookie returns the session cookie the response sets, or nil.
func (a answer) sessionCookie() *http.Cookie {
	for _, c := range a.Cookies() {
		if c.Name == "auth_session" {
			return c
		}
	}
	return nil
}

// request sends one request to the app without following redirects, as
// a browser on the app's own origin would: form posts carry an Origin
// header naming origin.
func (a *runningApp) request(t *testing.T, method, path, origin string, form url.Values, cookies ...*http.Cookie) answer {
	t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for name, values := range a.header {
		req.Header[name] = values
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Response: resp, body: string(body)}
}

// signUp creates an account through the sign-up form, with the address
// username@example.com, and returns the session cookie it got.
func (a *runningApp) signUp(t *testing.T, username, password string) *http.Cookie {
	t.Helper()
	got := a.request(t, "POST", "/signup", a.origin(), url.Values{"username": {username}, "email": {username + "@example.com"}, "password": {password}})
	if got.StatusCode != http.StatusSeeOther || got.sessionCookie() == nil {
		t.Fatalf("signing up %s: status %d\n%s", username, got.StatusCode, got.body)
	}
	return got.sessionCookie()
}

var errorPattern = regexp.MustCompile(`(?s)<p class="message error" id="error">(.*?)</p>`)

// errorMessage returns the text of the page's error message, or "".
func errorMessage(body string) string {
	m := errorPattern.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}
