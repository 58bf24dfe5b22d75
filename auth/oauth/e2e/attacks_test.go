package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth/oauth"
	"golang.org/x/oauth2"
)

// Login CSRF: an attacker gets a callback URL for their own account and
// makes the victim's browser open it. The victim's cookie holds the state
// of the victim's own sign-in (or none), never the attacker's.
func TestForgedStateRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	attackerURL, _ := e.start(t)
	attackerLoc := e.authorize(t, attackerURL, "666")
	_, victimCookie := e.start(t)
	_, err := e.callback(t, attackerLoc, victimCookie, "")
	refused(t, err, oauth.ErrStateMismatch, secretsOf(attackerLoc, victimCookie)...)

	// A state that is merely guessed fares no better.
	authURL, cookie := e.start(t)
	loc := withQuery(t, e.authorize(t, authURL, "666"), "state", "guessed-state")
	_, err = e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrStateMismatch, secretsOf(loc, cookie)...)
	e.wantRows(t, 0, 0)
}

// Without the state cookie, or without a state in the callback, nothing
// can be checked: refused.
func TestMissingStateRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "101")
	_, err := e.callback(t, loc, nil, "")
	refused(t, err, oauth.ErrMissingState, secretsOf(loc, cookie)...)
	noState := withQuery(t, loc, "state", "")
	_, err = e.callback(t, noState, cookie, "")
	refused(t, err, oauth.ErrMissingState, secretsOf(loc, cookie)...)
	e.wantRows(t, 0, 0)
}

// A state is accepted once: replaying a finished callback, or pairing the
// spent cookie and state with a fresh code for the same authorization
// request, is refused.
func TestReplayedStateRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "202")
	if _, err := e.callback(t, loc, cookie, ""); err != nil {
		t.Fatal(err)
	}
	_, err := e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrStateReplayed, secretsOf(loc, cookie)...)

	freshLoc := e.authorize(t, authURL, "303") // same state, new code, another account
	_, err = e.callback(t, freshLoc, cookie, "")
	refused(t, err, oauth.ErrStateReplayed, secretsOf(freshLoc, cookie)...)
	e.wantRows(t, 1, 1)
}

// A cookie past Config.StateTTL is refused even if the browser still sent
// it.
func TestExpiredStateRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "404")
	e.clock.advance(oauth.DefaultStateTTL)
	_, err := e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrStateExpired, secretsOf(loc, cookie)...)
	e.wantRows(t, 0, 0)
}

// A stolen code is useless without the verifier: a cookie whose
// verifier was swapped no longer carries the Flow's signature, and the
// provider itself refuses an exchange with a wrong verifier or none.
func TestWrongOrMissingVerifierRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "505")
	parts := strings.Split(cookie.Value, ".")
	wrong := *cookie
	wrong.Value = parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])) + "." + parts[3]
	_, err := e.callback(t, loc, &wrong, "")
	refused(t, err, oauth.ErrStateMismatch, secretsOf(loc, cookie)...)

	// A cookie with no verifier is not a state cookie.
	authURL, cookie = e.start(t)
	loc = e.authorize(t, authURL, "505")
	parts = strings.Split(cookie.Value, ".")
	none := *cookie
	none.Value = parts[0] + "." + parts[1] + "."
	_, err = e.callback(t, loc, &none, "")
	refused(t, err, oauth.ErrMissingState, secretsOf(loc, cookie)...)

	// The provider itself checks the verifier (PKCE is forced): the
	// code, exchanged with a wrong one or none, is refused.
	cfg := oauth.GitHub(clientID, clientSecret, callbackURL).OAuth2
	cfg.Endpoint = e.provider.Endpoint()
	for name, c := range map[string]struct {
		opts []oauth2.AuthCodeOption
		want string
	}{
		"a wrong verifier": {[]oauth2.AuthCodeOption{oauth2.VerifierOption(strings.Repeat("A", len(parts[2])))}, "invalid_grant"},
		"no verifier":      {nil, "invalid_request"},
	} {
		authURL, _ = e.start(t)
		code := mustQuery(t, e.authorize(t, authURL, "505"), "code")
		var re *oauth2.RetrieveError
		if _, err := cfg.Exchange(context.Background(), code, c.opts...); !errors.As(err, &re) || re.ErrorCode != c.want {
			t.Errorf("exchange with %s: %v, want %s from the token endpoint", name, err, c.want)
		}
	}
	e.wantRows(t, 0, 0)
}

// The user declines at the provider: error=access_denied on the callback.
func TestProviderDeniedRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "")
	_, err := e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrProviderDenied, secretsOf(loc, cookie)...)
	if !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("error %q does not name access_denied", err)
	}
	// Free text in error is not quoted.
	_, err = e.callback(t, withQuery(t, loc, "error", "<script>alert(1)</script>"), cookie, "")
	refused(t, err, oauth.ErrProviderDenied, "<script>")
	e.wantRows(t, 0, 0)
}

// The provider goes down between the authorization and the callback.
func TestProviderDownRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "606")
	e.provider.Close()
	_, err := e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrProviderUnavailable, secretsOf(loc, cookie)...)
	e.wantRows(t, 0, 0)
}

// The user endpoint refusing the token (a 401) is a clear error, not a
// user with an empty id.
func TestUserEndpointRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	prov := as(t, e.provider, "github")
	prov.UserID = func(ctx context.Context, _ *http.Client) (string, error) {
		// The token-less client: the provider answers 401.
		return oauth.JSONUserID(e.provider.UserURL(), "id")(ctx, http.DefaultClient)
	}
	flow, err := oauth.New(e.auth, prov, oauth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.flow = flow
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "707")
	_, err = e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrUserInfo, secretsOf(loc, cookie)...)
	e.wantRows(t, 0, 0)
}

func mustQuery(t *testing.T, location, key string) string {
	t.Helper()
	u, err := http.NewRequest(http.MethodGet, location, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := u.URL.Query().Get(key)
	if v == "" {
		t.Fatalf("no %s in %s", key, location)
	}
	return v
}

// A callback with the right state but no code is refused, and spends the
// state.
func TestMissingCodeRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "808")
	_, err := e.callback(t, withQuery(t, loc, "code", ""), cookie, "")
	refused(t, err, oauth.ErrMissingCode, secretsOf(loc, cookie)...)
	_, err = e.callback(t, loc, cookie, "")
	refused(t, err, oauth.ErrStateReplayed, secretsOf(loc, cookie)...)
	e.wantRows(t, 0, 0)
}
