package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/internal/oauthprovider"
)

// crossSite is what a browser adds to a request another site made it
// send: Sec-Fetch-Site (which no page can forge) and, for a form post,
// the other site's Origin.
func crossSite(origin string) http.Header {
	h := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}, "Referer": {origin + "/prize"}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return h
}

// requestWith is request with extra headers (a cross-site request's).
func (a *runningApp) requestWith(t *testing.T, header http.Header, method, path string, form url.Values, cookies ...*http.Cookie) answer {
	t.Helper()
	saved := a.header
	a.header = header
	defer func() { a.header = saved }()
	return a.request(t, method, path, "", form, cookies...)
}

// throughProvider follows an answer of the app to the provider, which
// approves at once as providerUserID (as a provider does for an app the
// user allowed before), and back to the callback, with cookies and the
// cookies the app set on the way. An answer that does not lead to the
// provider is returned as it is: no sign-in was started.
func (a *runningApp) throughProvider(t *testing.T, provider *oauthprovider.Provider, start answer, providerUserID string, cookies ...*http.Cookie) answer {
	t.Helper()
	loc := start.Header.Get("Location")
	if (start.StatusCode != http.StatusFound && start.StatusCode != http.StatusSeeOther) || !strings.HasPrefix(loc, provider.AuthURL()) {
		return start
	}
	callback := a.providerCallback(t, loc, providerUserID)
	// The provider's redirect back is a cross-site navigation too.
	return a.requestWith(t, crossSite(""), "GET", callback, nil, append(cookies, start.Cookies()...)...)
}

// hasProviderKey reports whether the user has a key of the test provider.
func (a *runningApp) hasProviderKey(t *testing.T, userID string) bool {
	t.Helper()
	for _, id := range a.keyIDs(t, userID) {
		if strings.HasPrefix(id, "testprovider:") {
			return true
		}
	}
	return false
}

// Finding 6 of issue 21: another site sends a signed-in user's browser to
// the link URL with a GET (a link, an image, a redirect); the provider,
// which the user allowed before, sends it straight back. No provider
// account may be linked by that: only the account page's button, a POST
// behind the cross-origin check, links. A cross-site POST to the link
// route is refused by that check, as every other form's.
func TestAttackCrossSiteGetLinksOAuth(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	session := app.signUp(t, "xena", "correct horse")
	xena := app.userIDOf(t, "xena")
	const evil = "https://evil.example"

	for _, path := range []string{"/login/oauth", oauthLinkPath} {
		start := app.requestWith(t, crossSite(""), "GET", path, nil, session)
		got := app.throughProvider(t, provider, start, "666", session)
		if app.hasProviderKey(t, xena) {
			t.Fatalf("a cross-site GET %s linked a provider account to the signed-in user (status %d, location %q)", path, got.StatusCode, got.Header.Get("Location"))
		}
	}

	post := app.requestWith(t, crossSite(evil), "POST", oauthLinkPath, url.Values{}, session)
	if post.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST %s: status %d, want 403 as for every form", oauthLinkPath, post.StatusCode)
	}
	app.throughProvider(t, provider, post, "666", session)
	if app.hasProviderKey(t, xena) {
		t.Fatal("a cross-site POST linked a provider account")
	}
	if id := app.sessionUserID(t, session); id != xena {
		t.Fatalf("xena's session now belongs to %s", id)
	}
}

// Finding 3 of issue 21, account pre-hijack: the attacker signs up with
// the victim's address before the victim does, and links their own
// provider account. The victim, finding the address taken, resets the
// password by the mailed link and takes the account over. The attacker's
// provider sign-in must not open that account any more.
func TestAttackPreHijackOAuthLinkSurvivesReset(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	signUp := app.request(t, "POST", "/signup", app.origin(), url.Values{"username": {"mallory"}, "email": {"victim@example.com"}, "password": {"attacker's pass"}})
	attacker := signUp.sessionCookie()
	if signUp.StatusCode != http.StatusSeeOther || attacker == nil {
		t.Fatalf("the attacker's sign-up: status %d\n%s", signUp.StatusCode, signUp.body)
	}
	account := app.userIDOf(t, "mallory")
	linked := app.oauthLink(t, provider, "31337", attacker)
	if linked.Header.Get("Location") != "/account?m=oauth-linked" || !app.hasProviderKey(t, account) {
		t.Fatalf("the attacker's link: status %d, location %q\n%s", linked.StatusCode, linked.Header.Get("Location"), linked.body)
	}

	// The victim asks for a reset link for their address and uses it.
	app.forgot(t, "victim@example.com")
	link, token := app.lastLink(t, "victim@example.com")
	if link.Path != "/reset-password" {
		t.Fatalf("the newest mail's link is %s, want a reset link", link)
	}
	reset := app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"victim's own pass"}})
	if reset.StatusCode != http.StatusSeeOther || reset.Header.Get("Location") != "/login?m=password-reset-unlinked" {
		t.Fatalf("the victim's reset: status %d, location %q\n%s", reset.StatusCode, reset.Header.Get("Location"), reset.body)
	}
	// The page after the reset tells the victim the link went.
	if page := app.request(t, "GET", reset.Header.Get("Location"), "", nil); !strings.Contains(page.body, "Sign-in with other sites was also unlinked") {
		t.Errorf("the page after the reset does not say the provider account was unlinked:\n%s", page.body)
	}

	// The attacker signs in with their provider account.
	got := app.oauthSignIn(t, "31337")
	if c := got.sessionCookie(); c != nil && c.Value != "" && app.sessionUserID(t, c) == account {
		t.Fatal("after the victim's reset, the attacker's provider account still signs in to the victim's account")
	}
	if app.hasProviderKey(t, account) {
		t.Error("the provider key linked before the reset is still the account's")
	}
	if _, ok := app.logIn(t, "mallory", "victim's own pass"); !ok {
		t.Error("the victim cannot log in with the new password")
	}
}

// The race in finding 3: the attacker's link is in flight when the
// victim's reset commits. The reset holds the user's row from before it
// removes the keys until it commits, so the link's key, written after,
// waits for it; the callback then finds its session ended by the reset
// and takes the key back. (The test holds the row and ends the sessions
// itself, as the reset's transaction does, so the link is sure to wait.)
func TestAttackLinkRacingAResetIsUndone(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	session := app.signUp(t, "nina", "correct horse")
	nina := app.userIDOf(t, "nina")
	start := app.request(t, "POST", oauthLinkPath, app.origin(), url.Values{}, session)
	loc := start.Header.Get("Location")
	if start.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, provider.AuthURL()) {
		t.Fatalf("the link button: status %d, location %q", start.StatusCode, loc)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(loc + "&" + url.Values{oauthprovider.LoginParam: {"4711"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := strings.TrimPrefix(resp.Header.Get("Location"), app.url)

	ctx := context.Background()
	reset, err := app.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reset.Rollback(ctx) }()
	if _, err := reset.Exec(ctx, `SELECT 1 FROM auth_user WHERE id = $1 FOR UPDATE`, nina); err != nil {
		t.Fatal(err)
	}
	locations := make(chan string, 1)
	go func() {
		req, err := http.NewRequest("GET", app.url+callback, nil)
		if err != nil {
			locations <- err.Error()
			return
		}
		for _, c := range append(start.Cookies(), session) {
			req.AddCookie(c)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			locations <- err.Error()
			return
		}
		resp.Body.Close()
		locations <- resp.Header.Get("Location")
	}()
	app.waitForLockWaiters(t, 1) // the link's key waits for the row
	if _, err := reset.Exec(ctx, `DELETE FROM auth_session WHERE user_id = $1`, nina); err != nil {
		t.Fatal(err)
	}
	if err := reset.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-locations; got != "/login?m=expired" {
		t.Errorf("the link that raced the reset ended at %q, want /login?m=expired", got)
	}
	if app.hasProviderKey(t, nina) {
		t.Fatal("a link written while a reset held the account survived it")
	}
}
