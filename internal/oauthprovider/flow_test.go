package oauthprovider_test

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/internal/oauthprovider"
	"golang.org/x/oauth2"
)

// The code flow with PKCE, as an application's x/oauth2 client runs it:
// the code comes back with the state, the exchange with the verifier gives
// a token, and the user endpoint names the user who signed in, an id
// above 2^53 intact.
func TestCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	p := start(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := client(p)
		cfg.Endpoint.AuthStyle = style
		verifier := oauth2.GenerateVerifier()
		cb := authorizeAs(t, cfg.AuthCodeURL("the-state", oauth2.S256ChallengeOption(verifier)), "12345678901234567")
		if got := cb.Query().Get("state"); got != "the-state" {
			t.Errorf("state %q, want the-state", got)
		}
		token, err := cfg.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("auth style %d: exchange: %v", style, err)
		}
		user := userOf(t, p, token)
		if string(user["id"]) != "12345678901234567" || string(user["login"]) != `"12345678901234567"` || string(user["sub"]) != `"12345678901234567"` {
			t.Errorf("user %s, want id 12345678901234567 as a number, login and sub as strings", user)
		}
	}
}

// An id that is not a decimal integer has no "id", only "login" and
// "sub" (Google's field).
func TestNonNumericUser(t *testing.T) {
	t.Parallel()
	p := start(t)
	cfg := client(p)
	verifier := oauth2.GenerateVerifier()
	cb := authorizeAs(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "0123-sub")
	token, err := cfg.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	user := userOf(t, p, token)
	if _, ok := user["id"]; ok || string(user["sub"]) != `"0123-sub"` {
		t.Errorf("user %s, want sub 0123-sub and no id", user)
	}
}

// A code is useless without its verifier: a wrong one is refused
// (invalid_grant) and spends the code, so a verifier cannot be guessed
// twice; none is refused (invalid_request). The right one works once.
func TestWrongVerifierRefused(t *testing.T) {
	t.Parallel()
	p := start(t)
	cfg := client(p)
	codeFor := func(verifier string) string {
		return authorizeAs(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "7").Query().Get("code")
	}
	refused := func(name string, err error, want string) {
		t.Helper()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}

	verifier := oauth2.GenerateVerifier()
	code := codeFor(verifier)
	_, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	refused("wrong verifier", err, "invalid_grant")
	_, err = cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	refused("right verifier after a wrong one", err, "invalid_grant")

	_, err = cfg.Exchange(t.Context(), codeFor(verifier))
	refused("no verifier", err, "invalid_request")

	code = codeFor(verifier)
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("right verifier: %v", err)
	}
	_, err = cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	refused("spent code", err, "invalid_grant")

	// Without a code challenge there is no code at all.
	resp, err := browser.Get(cfg.AuthCodeURL("s") + "&login=7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("authorization without PKCE: status %d, Location %q; want 400, no code", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A wrong client secret is refused at the token endpoint.
func TestWrongClientSecretRefused(t *testing.T) {
	t.Parallel()
	p := start(t)
	cfg := client(p)
	verifier := oauth2.GenerateVerifier()
	code := authorizeAs(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "7").Query().Get("code")
	cfg.ClientSecret = "guessed"
	var re *oauth2.RetrieveError
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("exchange with a wrong secret: %v, want invalid_client", err)
	}
}

// An empty login declines: the callback gets error=access_denied and the
// state, no code.
func TestEmptyLoginIsAccessDenied(t *testing.T) {
	t.Parallel()
	p := start(t)
	cb := authorizeAs(t, client(p).AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "")
	if q := cb.Query(); q.Get("error") != "access_denied" || q.Get("state") != "s" || q.Has("code") {
		t.Errorf("callback %s, want error=access_denied, state=s, no code", cb)
	}
}

// The user endpoint answers 401 without a token or with one it did not
// issue.
func TestUserEndpointNeedsToken(t *testing.T) {
	t.Parallel()
	p := start(t)
	for _, header := range []string{"", "Bearer not-a-token"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.UserURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || err != nil || body["id"] != nil {
			t.Errorf("Authorization %q: status %d, body %v (%v); want 401", header, resp.StatusCode, body, err)
		}
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// loginForm GETs authURL, which has no login parameter, and returns the
// login page's hidden fields.
func loginForm(t *testing.T, authURL string) url.Values {
	t.Helper()
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login page: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<form method="post" action="/authorize">`, `id="login" name="login"`, `id="allow"`, `id="deny"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("login page lacks %s:\n%s", want, page)
		}
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(page), -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return form
}

// The login page carries the authorization request through its form:
// "Allow" with a user id completes the flow, "Deny" declines.
func TestLoginPageCompletesFlow(t *testing.T) {
	t.Parallel()
	p := start(t)
	cfg := client(p)
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL(`st<"&>`, oauth2.S256ChallengeOption(verifier))

	form := loginForm(t, authURL)
	form.Set("login", "4242")
	form.Set("decision", "allow")
	resp, err := browser.PostForm(p.AuthURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := callbackOf(t, resp)
	if cb.Query().Get("state") != `st<"&>` {
		t.Errorf("state %q did not survive the form", cb.Query().Get("state"))
	}
	token, err := cfg.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if user := userOf(t, p, token); string(user["id"]) != "4242" {
		t.Errorf("user %s, want id 4242", user)
	}

	form = loginForm(t, authURL)
	form.Set("decision", "deny")
	resp, err = browser.PostForm(p.AuthURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if q := callbackOf(t, resp).Query(); q.Get("error") != "access_denied" || q.Has("code") {
		t.Errorf("Deny: callback query %v, want error=access_denied and no code", q)
	}
}

// Close stops the server: its endpoints refuse connections.
func TestClose(t *testing.T) {
	t.Parallel()
	p := start(t)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(p.TokenURL()); err == nil {
		resp.Body.Close()
		t.Errorf("token endpoint answered %d after Close", resp.StatusCode)
	}
}

// Bad configuration and non-loopback addresses are refused with one line.
func TestNewAndStartRefuse(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]oauthprovider.Config{
		"no client id":     {ClientSecret: "s", RedirectBase: redirectBase},
		"no secret":        {ClientID: "c", RedirectBase: redirectBase},
		"no redirect base": {ClientID: "c", ClientSecret: "s"},
		"relative base":    {ClientID: "c", ClientSecret: "s", RedirectBase: "/cb"},
		"ftp base":         {ClientID: "c", ClientSecret: "s", RedirectBase: "ftp://127.0.0.1"},
		"base with query":  {ClientID: "c", ClientSecret: "s", RedirectBase: "http://127.0.0.1:9/?x=1"},
	} {
		if _, err := oauthprovider.New(cfg); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: New: %v, want a one-line error", name, err)
		}
	}
	p, err := oauthprovider.New(oauthprovider.Config{ClientID: clientID, ClientSecret: clientSecret, RedirectBase: redirectBase})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "no-port"} {
		if err := p.Start(addr); err == nil {
			_ = p.Close()
			t.Errorf("Start(%q) listened; want a refusal", addr)
		}
	}
	if err := p.Start("[::1]:0"); err != nil && !strings.Contains(err.Error(), "assign") && !strings.Contains(err.Error(), "not available") {
		t.Errorf("Start([::1]:0): %v", err)
	}
	_ = p.Close()
}
