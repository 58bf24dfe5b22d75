package e2e

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
	"github.com/luciapg/luciapg/internal/oauthprovider"
	"github.com/luciapg/luciapg/internal/testdb"
)

// env is an application (auth core on a fresh PostgreSQL database, and a
// Flow) signing in with a loopback provider.
type env struct {
	pool     *pgxpool.Pool
	auth     *auth.Auth
	provider *oauthprovider.Provider
	flow     *oauth.Flow
	clock    *clock
}

// newEnv uses oauth.GitHub or oauth.Google (by name) with the provider's
// loopback endpoints in place of the real ones.
func newEnv(t *testing.T, providerName string) *env {
	t.Helper()
	pool := testdb.New(t)
	a, err := auth.New(luciapg.New(pool), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := newProvider(t)
	prov := as(t, p, providerName)
	c := &clock{now: time.Now()}
	flow, err := oauth.New(a, prov, oauth.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{pool: pool, auth: a, provider: p, flow: flow, clock: c}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// as returns oauth.GitHub or oauth.Google (by name) with p's loopback
// endpoints in place of the real ones.
func as(t *testing.T, p *oauthprovider.Provider, providerName string) oauth.Provider {
	t.Helper()
	var prov oauth.Provider
	var idField string
	switch providerName {
	case "github":
		prov, idField = oauth.GitHub(clientID, clientSecret, callbackURL), "id"
	case "google":
		prov, idField = oauth.Google(clientID, clientSecret, callbackURL), "sub"
	default:
		t.Fatalf("unknown provider %q", providerName)
	}
	// The client id and secret stay in the token request's body, as
	// oauth.GitHub and oauth.Google send them.
	prov.OAuth2.Endpoint.AuthURL = p.AuthURL()
	prov.OAuth2.Endpoint.TokenURL = p.TokenURL()
	prov.UserID = oauth.JSONUserID(p.UserURL(), idField)
	return prov
}

// start is the browser clicking "sign in": the authorization URL and the
// state cookie the application set.
func (e *env) start(t *testing.T) (authURL string, cookie *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	authURL = e.flow.Start(rec)
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Start set %d cookies, want 1", len(cookies))
	}
	return authURL, cookies[0]
}

// authorize is the browser at the provider, signing in as login (empty:
// declining); it returns the URL the provider redirects back to.
func (e *env) authorize(t *testing.T, authURL, login string) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL + "&" + url.Values{oauthprovider.LoginParam: {login}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, callbackURL) {
		t.Fatalf("authorize: status %d, Location %q", resp.StatusCode, loc)
	}
	return loc
}

// callback is the browser arriving back at the application with cookie.
func (e *env) callback(t *testing.T, location string, cookie *http.Cookie, signedInUserID string) (oauth.Result, error) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, location, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	res, err := e.flow.Callback(rec, req, signedInUserID)
	// Whatever happened, the state cookie is deleted.
	cleared := false
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieNameOf(t, cookie, e) && c.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("Callback did not delete the state cookie")
	}
	return res, err
}

func cookieNameOf(t *testing.T, c *http.Cookie, e *env) string {
	if c != nil {
		return c.Name
	}
	return "__Host-oauth_" + e.flow.ProviderID()
}

// signIn runs the whole flow as login and fails the test on error.
func (e *env) signIn(t *testing.T, login, signedInUserID string) oauth.Result {
	t.Helper()
	authURL, cookie := e.start(t)
	res, err := e.callback(t, e.authorize(t, authURL, login), cookie, signedInUserID)
	if err != nil {
		t.Fatalf("sign-in as %s: %v", login, err)
	}
	return res
}

// rows counts auth_user and auth_key rows.
func (e *env) rows(t *testing.T) (users, keys int) {
	t.Helper()
	if err := e.pool.QueryRow(t.Context(), "SELECT (SELECT count(*) FROM auth_user), (SELECT count(*) FROM auth_key)").Scan(&users, &keys); err != nil {
		t.Fatal(err)
	}
	return users, keys
}

func (e *env) wantRows(t *testing.T, users, keys int) {
	t.Helper()
	if u, k := e.rows(t); u != users || k != keys {
		t.Errorf("rows: %d users, %d keys; want %d, %d", u, k, users, keys)
	}
}

// refused checks that err is target and quotes none of secrets (the
// code, state and verifier of the attempt).
func refused(t *testing.T, err, target error, secrets ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
}

// secretsOf returns the code and state of a callback URL and the state
// and verifier of a cookie.
func secretsOf(location string, cookie *http.Cookie) []string {
	var out []string
	if u, err := url.Parse(location); err == nil {
		out = append(out, u.Query().Get("code"), u.Query().Get("state"))
	}
	if cookie != nil {
		if parts := strings.Split(cookie.Value, "."); len(parts) == 4 {
			out = append(out, parts[1], parts[2])
		}
	}
	return out
}

// withQuery returns location with key set to value.
func withQuery(t *testing.T, location, key, value string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
