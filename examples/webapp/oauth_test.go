package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/oauthprovider"
	"github.com/luciapg/luciapg/memadapter"
)

// testClientID and testClientSecret are the app's credentials at the test
// provider.
const (
	testClientID     = "webapp-test"
	testClientSecret = "webapp-test-secret"
)

// startAppWithProvider serves the app with "Sign in with Test Provider"
// against a loopback OAuth 2.0 server (internal/oauthprovider), as the
// -oauth-* flags configure it.
func startAppWithProvider(t *testing.T) (*runningApp, *oauthprovider.Provider) {
	t.Helper()
	// The provider needs the app's address, the app the provider's: the
	// app's listener comes first.
	listener := loopbackListener(t)
	appURL := "http://" + listener.Addr().String()
	provider, err := oauthprovider.New(oauthprovider.Config{ClientID: testClientID, ClientSecret: testClientSecret, RedirectBase: appURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := provider.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Close() })
	app := startAppOn(t, listener, appConfig{insecureDevCookies: true, oauth: oauthConfig{
		ProviderID: "testprovider", Name: "Test Provider",
		ClientID: testClientID, ClientSecret: testClientSecret,
		AuthURL: provider.AuthURL(), TokenURL: provider.TokenURL(), UserURL: provider.UserURL(), UserIDField: "id",
	}}, auth.Config{})
	return app, provider
}

// oauthSignIn walks the flow with an HTTP client as providerUserID and
// returns the callback's answer (the provider's login is the
// oauthprovider.LoginParam parameter). cookies are sent to the app.
func (a *runningApp) oauthSignIn(t *testing.T, providerUserID string, cookies ...*http.Cookie) answer {
	t.Helper()
	start := a.request(t, "GET", "/login/oauth", "", nil, cookies...)
	if start.StatusCode != http.StatusFound {
		t.Fatalf("starting: status %d\n%s", start.StatusCode, start.body)
	}
	callback := a.providerCallback(t, start.Header.Get("Location"), providerUserID)
	return a.request(t, "GET", callback, "", nil, append(cookies, start.Cookies()...)...)
}

// providerCallback follows authURL, the app's redirect to the provider,
// which approves at once as providerUserID, and returns the path of the
// app's callback the provider sends the browser back to.
func (a *runningApp) providerCallback(t *testing.T, authURL, providerUserID string) string {
	t.Helper()
	authURL += "&" + url.Values{oauthprovider.LoginParam: {providerUserID}}.Encode()
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(callback, a.url+oauthCallbackPath) {
		t.Fatalf("the provider answered %d, to %q", resp.StatusCode, callback)
	}
	return strings.TrimPrefix(callback, a.url)
}

// oauthLink is a signed-in user (session) linking providerUserID's
// provider account from the account page; it returns the callback's
// answer.
func (a *runningApp) oauthLink(t *testing.T, provider *oauthprovider.Provider, providerUserID string, session *http.Cookie) answer {
	t.Helper()
	start := a.request(t, "POST", oauthLinkPath, a.origin(), url.Values{}, session)
	if start.StatusCode != http.StatusSeeOther {
		t.Fatalf("the link button: status %d\n%s", start.StatusCode, start.body)
	}
	return a.throughProvider(t, provider, start, providerUserID, session)
}

// keyIDs lists the user's key ids.
func (a *runningApp) keyIDs(t *testing.T, userID string) []string {
	t.Helper()
	keys, err := a.store.GetKeysByUserID(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// sessionUserID returns the user of the session in the cookie.
func (a *runningApp) sessionUserID(t *testing.T, cookie *http.Cookie) string {
	t.Helper()
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	session, err := a.store.GetSession(context.Background(), cookie.Value)
	if err != nil {
		t.Fatalf("the cookie's session: %v", err)
	}
	return session.UserID
}

// userCount counts auth_user's rows.
func (a *runningApp) userCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := a.db.QueryRow(context.Background(), `SELECT count(*) FROM auth_user`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The first sign-in creates a user with the key "testprovider:4242" and
// no password; the next signs the same user in. The account page works
// for a user without a password and offers no password form.
func TestOAuthSignInCreatesThenFindsTheUser(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)
	if got := app.request(t, "GET", "/login", "", nil); !strings.Contains(got.body, "Sign in with Test Provider") {
		t.Fatalf("the login page has no sign-in button:\n%s", got.body)
	}

	first := app.oauthSignIn(t, "4242")
	if first.StatusCode != http.StatusSeeOther || first.Header.Get("Location") != "/account?m=welcome-oauth" || first.sessionCookie() == nil {
		t.Fatalf("first sign-in: status %d, location %q\n%s", first.StatusCode, first.Header.Get("Location"), first.body)
	}
	key, err := app.store.GetKey(context.Background(), "testprovider:4242")
	if err != nil {
		t.Fatalf("the key testprovider:4242: %v", err)
	}
	if key.HashedPassword != nil {
		t.Error("the provider's key has a password")
	}
	account := app.request(t, "GET", "/account", "", nil, first.sessionCookie())
	if account.StatusCode != http.StatusOK || !strings.Contains(account.body, `id="no-password"`) || strings.Contains(account.body, `action="/password"`) {
		t.Fatalf("the account page of a user without a password: status %d\n%s", account.StatusCode, account.body)
	}
	// Posting the password form anyway is refused plainly.
	got := app.request(t, "POST", "/password", app.origin(), url.Values{"current_password": {"x"}, "new_password": {"battery staple"}}, first.sessionCookie())
	if got.StatusCode != http.StatusConflict {
		t.Errorf("a password change without a password: status %d", got.StatusCode)
	}

	second := app.oauthSignIn(t, "4242")
	if second.StatusCode != http.StatusSeeOther || second.Header.Get("Location") != "/account" {
		t.Fatalf("second sign-in: status %d, location %q", second.StatusCode, second.Header.Get("Location"))
	}
	if n := app.userCount(t); n != 1 {
		t.Fatalf("%d users after two sign-ins, want 1", n)
	}
	if ids := app.keyIDs(t, key.UserID); len(ids) != 1 || ids[0] != "testprovider:4242" {
		t.Fatalf("the user's keys: %v, want [testprovider:4242]", ids)
	}
}

// A signed-in user links the provider account to theirs and can then
// sign in with it; an account linked to another user cannot be linked.
func TestOAuthLinkToTheSignedInUser(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	cookie := app.signUp(t, "uma", "correct horse")
	uma := app.userIDOf(t, "uma")
	if got := app.request(t, "GET", "/account", "", nil, cookie); !strings.Contains(got.body, "Link your Test Provider account") {
		t.Fatalf("the account page offers no link:\n%s", got.body)
	}

	got := app.oauthLink(t, provider, "777", cookie)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=oauth-linked" {
		t.Fatalf("linking: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	if got := app.request(t, "GET", "/account", "", nil, cookie); !strings.Contains(got.body, "You can sign in with Test Provider.") {
		t.Errorf("the account page does not show the link:\n%s", got.body)
	}
	signIn := app.oauthSignIn(t, "777")
	if signIn.StatusCode != http.StatusSeeOther || signIn.Header.Get("Location") != "/account" {
		t.Fatalf("signing in with the linked account: status %d, location %q", signIn.StatusCode, signIn.Header.Get("Location"))
	}
	if got := app.sessionUserID(t, signIn.sessionCookie()); got != uma {
		t.Fatalf("the sign-in's session belongs to %s, want uma's", got)
	}

	other := app.signUp(t, "vera", "correct horse")
	got = app.oauthLink(t, provider, "777", other)
	if got.StatusCode != http.StatusConflict || !strings.Contains(errorMessage(got.body), "already linked to another user") {
		t.Errorf("linking uma's provider account to vera: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	for _, id := range app.keyIDs(t, app.userIDOf(t, "vera")) {
		if strings.HasPrefix(id, "testprovider:") {
			t.Errorf("vera has the key %s after a refused link", id)
		}
	}
}

// Refusals get a plain sentence and write nothing: the user declining at
// the provider, a callback with no state cookie (another site sending the
// browser there), and a replayed callback.
func TestOAuthRefusals(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)

	declined := app.oauthSignIn(t, "")
	if declined.StatusCode != http.StatusForbidden || !strings.Contains(errorMessage(declined.body), "was cancelled") {
		t.Errorf("declined: status %d, error %q", declined.StatusCode, errorMessage(declined.body))
	}

	start := app.request(t, "GET", "/login/oauth", "", nil)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(start.Header.Get("Location") + "&login=31337")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := strings.TrimPrefix(resp.Header.Get("Location"), app.url)
	forged := app.request(t, "GET", callback, "", nil) // no state cookie: not this browser's sign-in
	if forged.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(forged.body), "did not work") {
		t.Errorf("a callback without the state cookie: status %d, error %q", forged.StatusCode, errorMessage(forged.body))
	}
	for _, s := range []string{"code=", "state="} {
		if strings.Contains(forged.body, s) {
			t.Errorf("the error page shows %s", s)
		}
	}
	ok := app.request(t, "GET", callback, "", nil, start.Cookies()...)
	if ok.StatusCode != http.StatusSeeOther {
		t.Fatalf("the real callback: status %d\n%s", ok.StatusCode, ok.body)
	}
	replayed := app.request(t, "GET", callback, "", nil, start.Cookies()...)
	if replayed.StatusCode != http.StatusBadRequest || replayed.sessionCookie() != nil && replayed.sessionCookie().Value != "" {
		t.Errorf("a replayed callback: status %d", replayed.StatusCode)
	}
	if n := app.userCount(t); n != 1 {
		t.Errorf("%d users, want 1 (only the real callback's)", n)
	}
}

// Without -oauth-client-id there is no button and no OAuth route, though
// the flags' defaults name GitHub: not on the login page, nor as a link
// on the account page.
func TestNoOAuthWithoutAClientID(t *testing.T) {
	t.Parallel()
	_, cfg, err := parseFlags([]string{"-insecure-dev-cookies"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.oauth.ProviderID != "github" || cfg.oauth.Name != "GitHub" {
		t.Fatalf("the flags' defaults: provider %q named %q; the test wants GitHub's", cfg.oauth.ProviderID, cfg.oauth.Name)
	}
	app := startAppWith(t, cfg, auth.Config{})
	// (The passkey button says "Sign in with a passkey": the provider's
	// is the link to /login/oauth.)
	if got := app.request(t, "GET", "/login", "", nil); strings.Contains(got.body, `id="oauth-login"`) || strings.Contains(got.body, "/login/oauth") {
		t.Errorf("the login page offers a sign-in with no provider configured:\n%s", got.body)
	}
	cookie := app.signUp(t, "ivan", "correct horse")
	if got := app.request(t, "GET", "/account", "", nil, cookie); got.StatusCode != http.StatusOK || strings.Contains(got.body, "/login/oauth") || strings.Contains(got.body, "GitHub") {
		t.Errorf("the account page: status %d, or it offers to link an account with no provider configured:\n%s", got.StatusCode, got.body)
	}
	for _, path := range []string{"/login/oauth", oauthCallbackPath + "?code=x&state=y"} {
		if got := app.request(t, "GET", path, "", nil); got.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, got.StatusCode)
		}
	}
}

// A client id without its secret is refused at start, saying what to
// set; other -oauth-* flags without a client id turn nothing on, and the
// log says so. No message repeats the secret.
func TestOAuthHalfConfigured(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := newApp(nil, auth.Config{}, log, appConfig{publicURL: "https://app.example",
		oauth: oauthConfig{ProviderID: "github", ClientID: "id"}})
	if err == nil || !strings.Contains(err.Error(), "OAUTH_CLIENT_SECRET") {
		t.Errorf("a client id without a secret: %v", err)
	}
	shortKey := "0123456789abcdef0123456789abcde" // 31 bytes
	_, err = newApp(nil, auth.Config{}, log, appConfig{publicURL: "https://app.example",
		oauth: oauthConfig{ProviderID: "github", ClientID: "id", ClientSecret: "hunter2", StateKey: shortKey}})
	if err == nil || !strings.Contains(err.Error(), "OAUTH_STATE_KEY") || strings.Contains(err.Error(), shortKey) {
		t.Errorf("a 31-byte $OAUTH_STATE_KEY: %v, want an error naming the variable and not the key", err)
	}

	var logs strings.Builder
	a, err := newApp(nil, auth.Config{}, slog.New(slog.NewTextHandler(&logs, nil)), appConfig{publicURL: "https://app.example",
		oauth: oauthConfig{ProviderID: "github", ClientSecret: "hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.oauth != nil || a.oauthName != "" {
		t.Errorf("a secret without a client id turned sign-in with %q on", a.oauthName)
	}
	if !strings.Contains(logs.String(), "no -oauth-client-id") || strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the log: %q", logs.String())
	}
}

// The -oauth-* flags: "github" alone is GitHub's endpoints; any other
// provider needs all three URLs.
func TestOAuthConfigProvider(t *testing.T) {
	t.Parallel()
	github, err := oauthConfig{ProviderID: "github", ClientID: "id", ClientSecret: "secret"}.provider("https://app.example")
	if err != nil {
		t.Fatal(err)
	}
	if github.ID != "github" || github.OAuth2.Endpoint.AuthURL != "https://github.com/login/oauth/authorize" ||
		github.OAuth2.RedirectURL != "https://app.example/login/callback" {
		t.Errorf("the GitHub preset: %s, %s, %s", github.ID, github.OAuth2.Endpoint.AuthURL, github.OAuth2.RedirectURL)
	}
	if _, err := (oauthConfig{ProviderID: "corp", ClientID: "id", AuthURL: "https://id.corp.example/authorize"}).provider("https://app.example"); err == nil {
		t.Error("a custom provider without token and user URLs was accepted")
	}
	// Plain-http development cookies only for a loopback callback.
	core, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := newOAuthFlow(core, appConfig{insecureDevCookies: true, publicURL: "http://app.example",
		oauth: oauthConfig{ProviderID: "github", ClientID: "id", ClientSecret: "secret"}}); err == nil {
		t.Error("insecure cookies with a non-loopback callback were accepted")
	}
}

// A user made by "Sign in with ..." can choose a username and password
// on the account page and then log in with them too; a taken name, or a
// second time, is refused and writes nothing.
func TestOAuthUserSetsAPassword(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)
	app.signUp(t, "wendy", "correct horse")
	cookie := app.oauthSignIn(t, "555").sessionCookie()
	userID := app.sessionUserID(t, cookie)

	set := func(username, password string) answer {
		return app.request(t, "POST", "/password/set", app.origin(), url.Values{"username": {username}, "new_password": {password}}, cookie)
	}
	if got := set("wendy", "battery staple"); got.StatusCode != http.StatusConflict || !strings.Contains(errorMessage(got.body), "is taken") {
		t.Errorf("a taken name: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	if got := set("x", "short"); got.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad name and password: status %d", got.StatusCode)
	}
	if ids := app.keyIDs(t, userID); len(ids) != 1 {
		t.Fatalf("keys after refused attempts: %v", ids)
	}
	if got := set("Xavier", "battery staple"); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account?m=password-set" {
		t.Fatalf("setting a password: status %d\n%s", got.StatusCode, got.body)
	}
	if got := set("xavier2", "battery staple"); got.StatusCode != http.StatusConflict {
		t.Errorf("setting a password a second time: status %d", got.StatusCode)
	}
	if id := app.userIDOf(t, "xavier"); id != userID {
		t.Fatalf("the username key belongs to %s, want %s", id, userID)
	}
	login, ok := app.logIn(t, "xavier", "battery staple")
	if !ok || app.sessionUserID(t, login) != userID {
		t.Fatal("logging in with the new username and password failed")
	}
	if got := app.request(t, "GET", "/account", "", nil, login); !strings.Contains(got.body, "Hello, xavier") || !strings.Contains(got.body, `id="change-password"`) {
		t.Errorf("the account page after setting a password:\n%s", got.body)
	}
}

// $OAUTH_STATE_KEY reaches the OAuth flow's Config.StateKey, so that the
// instances behind one domain, given the same key, accept each other's
// state cookies (auth/oauth's TestStateKey); it is read from the
// environment only, which ps does not show.
func TestOAuthStateKeyFromTheEnvironment(t *testing.T) {
	t.Parallel()
	key := "k0123456789abcdef0123456789abcdef"
	_, cfg, err := parseFlags([]string{"-oauth-client-id", "id"}, func(name string) string {
		return map[string]string{"OAUTH_STATE_KEY": key, "OAUTH_CLIENT_SECRET": "hunter2"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.oauth.StateKey != key {
		t.Fatalf("StateKey %q, want $OAUTH_STATE_KEY's", cfg.oauth.StateKey)
	}
	cfg.publicURL = "https://app.example"
	if _, err := newApp(nil, auth.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg); err != nil {
		t.Fatalf("a 33-byte $OAUTH_STATE_KEY: %v", err)
	}
}
