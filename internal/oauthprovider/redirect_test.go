package oauthprovider_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/internal/oauthprovider"
	"golang.org/x/oauth2"
)

// An attacker who crafts an authorization URL with their own redirect_uri
// gets neither the code nor any redirect at all: the request is refused
// with a 400 before anyone signs in (or declines), as RFC 6749 4.1.2.1
// asks. go-oauth2 alone accepts any host ending in the client's host, and
// redirects errors to any redirect_uri.
func TestRedirectOutsideBaseRefused(t *testing.T) {
	t.Parallel()
	p := start(t)
	cfg := client(p)
	for _, redirect := range []string{
		"http://evil.example/login/callback",
		"http://evil127.0.0.1:9/login/callback", // ends with the client's host
		"http://127.0.0.1:10/login/callback",    // another port
		"https://127.0.0.1:9/login/callback",    // another scheme
		"http://user@127.0.0.1:9/login/callback",
		"//evil.example/login/callback",
		"not a url\x7f",
	} {
		for _, login := range []string{"42", "", "absent"} {
			t.Run(redirect+" "+login, func(t *testing.T) {
				c := *cfg
				c.RedirectURL = redirect
				authURL := c.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
				if login != "absent" {
					authURL += "&" + url.Values{oauthprovider.LoginParam: {login}}.Encode()
				}
				resp, err := browser.Get(authURL)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
					t.Errorf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
				}
				if strings.Contains(string(body), "<form") {
					t.Errorf("login page shown for a foreign redirect_uri")
				}
			})
		}
	}
}

// An unknown client id is refused the same way.
func TestUnknownClientRefused(t *testing.T) {
	t.Parallel()
	p := start(t)
	c := client(p)
	c.ClientID = "someone-else"
	resp, err := browser.Get(c.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())) + "&login=")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Redirect URIs at or under the base path are accepted.
func TestRedirectUnderBaseAccepted(t *testing.T) {
	t.Parallel()
	p, err := oauthprovider.New(oauthprovider.Config{ClientID: clientID, ClientSecret: clientSecret, RedirectBase: "http://127.0.0.1:9/app/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	for redirect, ok := range map[string]bool{
		"http://127.0.0.1:9/app":              true,
		"http://127.0.0.1:9/app/cb":           true,
		"http://127.0.0.1:9/application/cb":   false,
		"http://127.0.0.1:9/app/../admin/cb":  false,
		"http://127.0.0.1:9/app/%2e%2e/admin": false,
	} {
		c := client(p)
		c.RedirectURL = redirect
		resp, err := browser.Get(c.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())) + "&login=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.StatusCode == http.StatusFound && strings.HasPrefix(resp.Header.Get("Location"), redirect+"?"); got != ok {
			t.Errorf("%s: status %d, Location %q; accepted %v, want %v", redirect, resp.StatusCode, resp.Header.Get("Location"), got, ok)
		}
	}
}
