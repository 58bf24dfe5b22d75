package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
	"github.com/luciapg/luciapg/memadapter"
	"golang.org/x/oauth2"
)

func testProvider(redirectURL string) oauth.Provider {
	p := oauth.GitHub("client", "secret", redirectURL)
	return p
}

func startCookie(t *testing.T, f *oauth.Flow) (*http.Cookie, *url.URL) {
	t.Helper()
	rec := httptest.NewRecorder()
	authURL, err := url.Parse(f.Start(rec))
	if err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Start set %d cookies, want 1", len(cookies))
	}
	return cookies[0], authURL
}

// In production the state cookie is Secure (so it never travels over
// plain http), HttpOnly (no script reads the verifier), SameSite=Lax, and
// __Host- prefixed (no other subdomain can plant one).
func TestStateCookieAttributes(t *testing.T) {
	f, err := oauth.New(newAuth(t), testProvider("https://app.example/callback"), oauth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := startCookie(t, f)
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", c)
	}
	if c.Name != "__Host-oauth_github" {
		t.Errorf("cookie name %q, want __Host-oauth_github", c.Name)
	}
	if c.MaxAge != int(oauth.DefaultStateTTL.Seconds()) {
		t.Errorf("MaxAge %d, want %v", c.MaxAge, oauth.DefaultStateTTL)
	}
}

// InsecureCookie is refused unless the redirect URL is on loopback, so a
// development setting cannot ship to production.
func TestInsecureCookieOnlyOnLoopback(t *testing.T) {
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://app.example/callback", "http://app.example/callback", "http://localhost.evil.example/cb", "http://10.0.0.1/cb"} {
		if _, err := oauth.New(a, testProvider(u), oauth.Config{InsecureCookie: true}); !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("InsecureCookie with redirect %s: %v, want ErrInvalidConfig", u, err)
		}
	}
	if _, err := oauth.New(a, testProvider("https://app.example/callback"), oauth.Config{StateTTL: -time.Minute}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("a negative StateTTL: %v, want ErrInvalidConfig, never replaced by the default", err)
	}
	for _, u := range []string{"http://localhost:8080/cb", "http://127.0.0.1:8080/cb", "http://[::1]:8080/cb"} {
		f, err := oauth.New(a, testProvider(u), oauth.Config{InsecureCookie: true})
		if err != nil {
			t.Errorf("InsecureCookie with redirect %s: %v", u, err)
			continue
		}
		if c, _ := startCookie(t, f); c.Secure || c.Name != "oauth_github" || !c.HttpOnly {
			t.Errorf("dev cookie %+v: want not Secure, named oauth_github, HttpOnly", c)
		}
	}
}

// The authorization URL carries a fresh random state and an S256 PKCE
// challenge of the cookie's verifier; the verifier itself never leaves
// the cookie.
func TestAuthorizationURL(t *testing.T) {
	f, err := oauth.New(newAuth(t), testProvider("https://app.example/callback"), oauth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c1, u1 := startCookie(t, f)
	_, u2 := startCookie(t, f)
	q := u1.Query()
	parts := strings.Split(c1.Value, ".")
	if len(parts) != 4 {
		t.Fatalf("cookie value has %d parts", len(parts))
	}
	state, verifier := parts[1], parts[2]
	switch {
	case q.Get("state") != state || len(state) < 43:
		t.Errorf("state %q, cookie's %q: want the same, at least 43 characters", q.Get("state"), state)
	case q.Get("state") == u2.Query().Get("state"):
		t.Errorf("two sign-ins got the same state")
	case q.Get("code_challenge_method") != "S256":
		t.Errorf("code_challenge_method %q, want S256", q.Get("code_challenge_method"))
	case q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(verifier):
		t.Errorf("code_challenge is not S256 of the cookie's verifier")
	case strings.Contains(u1.String(), verifier):
		t.Errorf("authorization URL contains the verifier")
	case q.Get("redirect_uri") != "https://app.example/callback" || q.Get("client_id") != "client":
		t.Errorf("redirect_uri %q client_id %q", q.Get("redirect_uri"), q.Get("client_id"))
	}
}

// A provider that cannot work is refused by New with a clear error.
func TestNewRefusesBadProvider(t *testing.T) {
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(p *oauth.Provider){
		"id with colon": func(p *oauth.Provider) { p.ID = "git:hub" },
		"no client id":  func(p *oauth.Provider) { p.OAuth2.ClientID = "" },
		"no token URL":  func(p *oauth.Provider) { p.OAuth2.Endpoint.TokenURL = "" },
		"no redirect":   func(p *oauth.Provider) { p.OAuth2.RedirectURL = "" },
		"no user id":    func(p *oauth.Provider) { p.UserID = nil },
	}
	for name, spoil := range bad {
		p := testProvider("https://app.example/cb")
		spoil(&p)
		if _, err := oauth.New(a, p, oauth.Config{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// newAuth is an auth core on an empty memadapter.
func newAuth(t *testing.T) *auth.Auth {
	t.Helper()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// StateKey: shorter than 32 bytes is refused, without quoting it; two
// Flows sharing a key (two instances behind one domain) accept each
// other's cookies; with their own random keys they do not; and a cookie
// whose verifier or issue time was changed no longer verifies.
func TestStateKey(t *testing.T) {
	a := newAuth(t)
	p := testProvider("https://app.example/callback")
	short := []byte("0123456789abcdef0123456789abcde") // 31 bytes
	_, err := oauth.New(a, p, oauth.Config{StateKey: short})
	if !errors.Is(err, luciapg.ErrInvalidConfig) || strings.Contains(err.Error(), string(short)) {
		t.Errorf("a 31-byte StateKey: %v, want ErrInvalidConfig not quoting the key", err)
	}

	key := []byte(strings.Repeat("k", 32))
	flow := func(cfg oauth.Config) *oauth.Flow {
		f, err := oauth.New(a, p, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	one, two := flow(oauth.Config{StateKey: key}), flow(oauth.Config{StateKey: key})
	key[0] = 'x' // the Flows kept their own copy
	callback := func(f *oauth.Flow, cookie *http.Cookie, state string) error {
		req := httptest.NewRequest(http.MethodGet, "https://app.example/callback?"+url.Values{"state": {state}}.Encode(), nil)
		req.AddCookie(cookie)
		_, err := f.Callback(httptest.NewRecorder(), req, "")
		return err
	}
	c, u := startCookie(t, one)
	state := u.Query().Get("state")
	if err := callback(two, c, state); !errors.Is(err, oauth.ErrMissingCode) {
		t.Errorf("another Flow with the same key: %v, want the state accepted (ErrMissingCode)", err)
	}
	c, u = startCookie(t, flow(oauth.Config{}))
	if err := callback(flow(oauth.Config{}), c, u.Query().Get("state")); !errors.Is(err, oauth.ErrStateMismatch) {
		t.Errorf("another Flow with its own random key: %v, want ErrStateMismatch", err)
	}

	c, u = startCookie(t, one)
	parts := strings.Split(c.Value, ".")
	for name, value := range map[string]string{
		"verifier": parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])) + "." + parts[3],
		"issued":   "9" + parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3],
	} {
		tampered := *c
		tampered.Value = value
		if err := callback(one, &tampered, u.Query().Get("state")); !errors.Is(err, oauth.ErrStateMismatch) {
			t.Errorf("a cookie with its %s changed: %v, want ErrStateMismatch", name, err)
		}
	}
	if err := callback(one, c, u.Query().Get("state")); !errors.Is(err, oauth.ErrMissingCode) {
		t.Errorf("the untouched cookie after the tampered ones: %v, want it accepted", err)
	}
}
