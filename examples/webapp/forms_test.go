package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// These checks need no browser: what the server answers to requests a
// browser would not make, or to form values the browser test does not try.
func TestServerAnswers(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, origin string, form url.Values, cookie *http.Cookie) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, app.url+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}

	tests := []struct {
		name         string
		method, path string
		origin       string
		form         url.Values
		cookie       *http.Cookie
		wantStatus   int
		wantBody     string
		wantLocation string
	}{
		{name: "short username", method: "POST", path: "/signup", origin: app.url,
			form:       url.Values{"username": {"ab"}, "password": {"long enough"}},
			wantStatus: http.StatusUnprocessableEntity, wantBody: "A username is 3 to 31 characters"},
		{name: "username with a space", method: "POST", path: "/signup", origin: app.url,
			form:       url.Values{"username": {"a b c"}, "password": {"long enough"}},
			wantStatus: http.StatusUnprocessableEntity, wantBody: "A username is 3 to 31 characters"},
		{name: "short password", method: "POST", path: "/signup", origin: app.url,
			form:       url.Values{"username": {"carol"}, "password": {"short"}},
			wantStatus: http.StatusUnprocessableEntity, wantBody: "A password needs at least 8 characters."},
		// Neither Origin nor Sec-Fetch-Site: not a browser, which
		// http.CrossOriginProtection lets through to the form's own checks.
		{name: "post without Origin", method: "POST", path: "/signup",
			form:       url.Values{"username": {"carol"}, "password": {"short"}},
			wantStatus: http.StatusUnprocessableEntity, wantBody: "A password needs at least 8 characters."},
		{name: "post from another origin", method: "POST", path: "/login", origin: "http://evil.example",
			form:       url.Values{"username": {"carol"}, "password": {"long enough"}},
			wantStatus: http.StatusForbidden},
		{name: "account without a cookie", method: "GET", path: "/account",
			wantStatus: http.StatusSeeOther, wantLocation: "/login?m=login-required"},
		{name: "account with an unknown session", method: "GET", path: "/account",
			cookie:     &http.Cookie{Name: "auth_session", Value: strings.Repeat("x", 40)},
			wantStatus: http.StatusSeeOther, wantLocation: "/login?m=expired"},
		{name: "a crafted message code shows nothing", method: "GET", path: "/login?m=%3Cscript%3E",
			wantStatus: http.StatusOK, wantBody: "<h1>Log in</h1>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(tt.method, tt.path, tt.origin, tt.form, tt.cookie)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body lacks %q:\n%s", tt.wantBody, body)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location %q, want %q", got, tt.wantLocation)
			}
			if tt.wantStatus == http.StatusOK && strings.Contains(body, `class="message`) {
				t.Errorf("the page shows a message it was not given:\n%s", body)
			}
		})
	}
	if _, err := app.store.GetKey(t.Context(), "username:carol"); err == nil {
		t.Error("a refused sign-up stored a key")
	}
}
