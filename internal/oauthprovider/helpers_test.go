package oauthprovider_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/internal/oauthprovider"
	"golang.org/x/oauth2"
)

const (
	clientID     = "test-client"
	clientSecret = "test-client-secret"
	redirectBase = "http://127.0.0.1:9"
	callbackURL  = redirectBase + "/login/callback"
)

// start returns a started provider, closed when the test ends.
func start(t *testing.T) *oauthprovider.Provider {
	t.Helper()
	p, err := oauthprovider.New(oauthprovider.Config{ClientID: clientID, ClientSecret: clientSecret, RedirectBase: redirectBase})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// client is the application's x/oauth2 configuration for p.
func client(p *oauthprovider.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: p.Endpoint(), RedirectURL: callbackURL}
}

// browser follows no redirects: the test reads each Location itself.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorizeAs opens authURL signing in as login and returns the callback
// URL the provider redirects to.
func authorizeAs(t *testing.T, authURL, login string) *url.URL {
	t.Helper()
	resp, err := browser.Get(authURL + "&" + url.Values{oauthprovider.LoginParam: {login}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return callbackOf(t, resp)
}

// callbackOf checks that resp redirects to the callback and parses where.
func callbackOf(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, callbackURL+"?") {
		t.Fatalf("authorize: status %d, Location %q; want a redirect to %s", resp.StatusCode, loc, callbackURL)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userOf GETs the user endpoint with token and decodes its JSON object.
func userOf(t *testing.T, p *oauthprovider.Provider, token *oauth2.Token) map[string]json.RawMessage {
	t.Helper()
	resp, err := client(p).Client(t.Context(), token).Get(p.UserURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("user endpoint: status %d", resp.StatusCode)
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}
