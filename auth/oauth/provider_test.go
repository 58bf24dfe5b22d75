package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/luciapg/luciapg/auth/oauth"
)

// JSONUserID takes a string, or an integer in its exact decimal form (a
// GitHub id above 2^53 would round as a float64), and refuses anything
// else as ErrUserInfo.
func TestJSONUserID(t *testing.T) {
	cases := []struct {
		body, field, want string
	}{
		{`{"id": 12345678901234567}`, "id", "12345678901234567"},
		{`{"id": 583231, "login": "octocat"}`, "id", "583231"},
		{`{"sub": "10769150350006150715113082367"}`, "sub", "10769150350006150715113082367"},
		{`{"id": 1.5}`, "id", ""},
		{`{"id": 1e3}`, "id", ""},
		{`{"id": ""}`, "id", ""},
		{`{"id": null}`, "id", ""},
		{`{"id": true}`, "id", ""},
		{`{"login": "x"}`, "id", ""},
		{`[1]`, "id", ""},
		{`not json`, "id", ""},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(c.body))
		}))
		got, err := oauth.JSONUserID(srv.URL, c.field)(t.Context(), srv.Client())
		srv.Close()
		if c.want == "" {
			if !errors.Is(err, oauth.ErrUserInfo) {
				t.Errorf("%s: %q, %v; want ErrUserInfo", c.body, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.body, got, err, c.want)
		}
	}
}

// The built-in providers use @lucia-auth/oauth 1.x's provider ids and
// user endpoints.
func TestBuiltInProviders(t *testing.T) {
	gh := oauth.GitHub("id", "secret", "https://app.example/cb")
	g := oauth.Google("id", "secret", "https://app.example/cb")
	if gh.ID != "github" || g.ID != "google" {
		t.Errorf("ids %q, %q; want github, google", gh.ID, g.ID)
	}
	if gh.OAuth2.Endpoint.TokenURL != "https://github.com/login/oauth/access_token" || g.OAuth2.Endpoint.TokenURL != "https://oauth2.googleapis.com/token" {
		t.Errorf("token URLs %q, %q", gh.OAuth2.Endpoint.TokenURL, g.OAuth2.Endpoint.TokenURL)
	}
	if oauth.GitHubUserURL != "https://api.github.com/user" || oauth.GoogleUserInfoURL != "https://www.googleapis.com/oauth2/v3/userinfo" {
		t.Errorf("user endpoints %q, %q", oauth.GitHubUserURL, oauth.GoogleUserInfoURL)
	}
}
