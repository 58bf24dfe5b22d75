package e2e

import (
	"testing"

	"github.com/luciapg/luciapg/internal/oauthprovider"
)

const (
	clientID     = "luciapg-e2e"
	clientSecret = "e2e-client-secret"
	// appBase is the application's origin; the provider only redirects to
	// callbacks under it.
	appBase     = "http://127.0.0.1:9"
	callbackURL = appBase + "/login/callback"
)

// newProvider starts the loopback OAuth 2.0 provider (authorization codes
// only, PKCE with S256 required, a GitHub-style user endpoint), closed when
// the test ends.
func newProvider(t *testing.T) *oauthprovider.Provider {
	t.Helper()
	p, err := oauthprovider.New(oauthprovider.Config{ClientID: clientID, ClientSecret: clientSecret, RedirectBase: appBase})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
