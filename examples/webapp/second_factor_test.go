package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// A user sets up an authenticator app on the security page (QR code and
// key shown once, then ten recovery codes shown once); from then on the
// password leads to a second step, which a wrong code, a code used before
// or no pending login at all do not pass, and a right code or an unused
// recovery code does. A recovery code works once.
func TestTwoStepLoginWithAuthenticatorApp(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "tara", "correct horse")
	if got := app.request(t, "GET", securityPath, "", nil, cookie); !strings.Contains(got.body, `id="totp-setup"`) {
		t.Fatalf("the security page offers no authenticator app:\n%s", got.body)
	}
	secret, codes := app.setUpTOTP(t, cookie)
	// The session that set it up proved it: still signed in.
	security := app.request(t, "GET", securityPath, "", nil, cookie)
	if security.StatusCode != http.StatusOK || !strings.Contains(security.body, "On: logging in asks for a code") || !strings.Contains(security.body, "You have 10 unused recovery codes.") {
		t.Fatalf("the security page after the set-up: status %d\n%s", security.StatusCode, security.body)
	}
	app.request(t, "POST", "/logout", app.origin(), url.Values{}, cookie)

	login, pending := app.passwordStep(t, "tara", "correct horse")
	if login.StatusCode != http.StatusSeeOther || login.Header.Get("Location") != secondStepPath || len(pending) == 0 {
		t.Fatalf("the password step: status %d, location %q, %d cookies", login.StatusCode, login.Header.Get("Location"), len(pending))
	}
	if c := login.sessionCookie(); c != nil && c.Value != "" {
		t.Fatal("the password step set a session cookie")
	}
	page := app.request(t, "GET", secondStepPath, "", nil, pending...)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `id="totp-code"`) || !strings.Contains(page.body, `id="recovery-code"`) {
		t.Fatalf("the second step's page: status %d\n%s", page.StatusCode, page.body)
	}
	if got := app.secondStep(t, pending, "totp", "000000"); got.StatusCode != http.StatusUnauthorized || errorMessage(got.body) != wrongCode {
		t.Errorf("a wrong code: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	code := app.nextTOTPCode(t, secret)
	done := app.secondStep(t, pending, "totp", code)
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/account" || done.sessionCookie() == nil {
		t.Fatalf("the right code: status %d, location %q\n%s", done.StatusCode, done.Header.Get("Location"), done.body)
	}
	if got := app.request(t, "GET", "/account", "", nil, done.sessionCookie()); got.StatusCode != http.StatusOK {
		t.Fatalf("the account after the second step: status %d", got.StatusCode)
	}
	// The pending login is spent; a new one does not take the code again.
	if got := app.secondStep(t, pending, "totp", app.nextTOTPCode(t, secret)); got.Header.Get("Location") != "/login?m=second-step-expired" {
		t.Errorf("a finished pending login again: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	_, again := app.passwordStep(t, "tara", "correct horse")
	if got := app.secondStep(t, again, "totp", code); got.StatusCode != http.StatusUnauthorized {
		t.Errorf("a code used before: status %d, want 401", got.StatusCode)
	}

	// A recovery code, once.
	used := app.secondStep(t, again, "recovery-code", codes[3])
	if used.StatusCode != http.StatusSeeOther || used.Header.Get("Location") != securityPath+"?m=recovery-code-used" {
		t.Fatalf("a recovery code: status %d, location %q\n%s", used.StatusCode, used.Header.Get("Location"), used.body)
	}
	if got := app.request(t, "GET", used.Header.Get("Location"), "", nil, used.sessionCookie()); !strings.Contains(got.body, "You have 9 unused recovery codes.") {
		t.Errorf("the security page after using a recovery code:\n%s", got.body)
	}
	_, third := app.passwordStep(t, "tara", "correct horse")
	if got := app.secondStep(t, third, "recovery-code", codes[3]); got.StatusCode != http.StatusUnauthorized {
		t.Errorf("a recovery code used before: status %d, want 401", got.StatusCode)
	}
	if got := app.request(t, "GET", secondStepPath, "", nil); got.Header.Get("Location") != "/login?m=second-step-expired" {
		t.Errorf("the second step without a pending login: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
}

// Every sensitive form, posted from a session that proved who its user is
// long ago, leads to the sudo prompt and changes nothing; the prompt takes
// the password (a wrong one is refused) and returns to the page whose
// form needs it, where the form then works. The prompt returns only to
// paths on this site.
func TestSudoPromptBeforeSensitiveChanges(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "uri", "correct horse")
	uri := app.userIDOf(t, "uri")
	app.clock.Advance(sudoLapse)

	for _, tt := range []struct{ path, back string }{
		{"/password", "/account"},
		{"/logout-all", "/account"},
		{"/account/totp", securityPath},
		{"/account/totp/remove", securityPath},
		{"/account/recovery-codes", securityPath},
	} {
		form := url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}}
		got := app.request(t, "POST", tt.path, app.origin(), form, cookie)
		if want := withNext(sudoPath, tt.back); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != want {
			t.Errorf("POST %s from a stale session: status %d, location %q; want %q", tt.path, got.StatusCode, got.Header.Get("Location"), want)
		}
	}
	if n := app.sessionCount(t, uri); n != 1 {
		t.Fatalf("uri has %d sessions, want 1: a refused form signed out or changed the password", n)
	}
	if _, ok := app.logIn(t, "uri", "correct horse"); !ok {
		t.Fatal("the password changed without sudo mode")
	}

	prompt := app.request(t, "GET", withNext(sudoPath, securityPath), "", nil, cookie)
	if prompt.StatusCode != http.StatusOK || !strings.Contains(prompt.body, `id="sudo-password"`) {
		t.Fatalf("the prompt: status %d\n%s", prompt.StatusCode, prompt.body)
	}
	sudo := func(password, next string) answer {
		return app.request(t, "POST", sudoPath, app.origin(), url.Values{"method": {"password"}, "password": {password}, "next": {next}}, cookie)
	}
	if got := sudo("wrong horse", securityPath); got.StatusCode != http.StatusUnauthorized || !strings.Contains(errorMessage(got.body), "Your password is wrong") {
		t.Errorf("a wrong password: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	if got := sudo("correct horse", securityPath); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != securityPath {
		t.Fatalf("the right password: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if got := app.request(t, "POST", "/account/totp", app.origin(), url.Values{}, cookie); got.StatusCode != http.StatusOK || !strings.Contains(got.body, `id="totp-secret"`) {
		t.Errorf("the set-up in sudo mode: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	// In sudo mode the prompt goes straight on, and never to another site.
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "/\t/evil.example"} {
		if got := app.request(t, "GET", sudoPath+"?"+url.Values{"next": {next}}.Encode(), "", nil, cookie); got.Header.Get("Location") != "/account" {
			t.Errorf("next=%q: location %q, want /account", next, got.Header.Get("Location"))
		}
	}
	changed := app.request(t, "POST", "/password", app.origin(), url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}}, cookie)
	if changed.Header.Get("Location") != "/account?m=password-changed" {
		t.Fatalf("the password change in sudo mode: status %d, location %q", changed.StatusCode, changed.Header.Get("Location"))
	}
	// The new session keeps what the old one proved.
	if got := app.request(t, "POST", "/account/recovery-codes", app.origin(), url.Values{}, changed.sessionCookie()); got.StatusCode != http.StatusOK {
		t.Errorf("new recovery codes right after the password change: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
}

// With an authenticator app, the prompt takes its code or a recovery
// code as well as the password; a code used to log in does not pass it
// again.
func TestSudoWithAuthenticatorApp(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "vic", "correct horse")
	secret, codes := app.setUpTOTP(t, cookie)
	app.clock.Advance(sudoLapse)

	prompt := app.request(t, "GET", withNext(sudoPath, securityPath), "", nil, cookie)
	for _, id := range []string{"sudo-password", "sudo-totp", "sudo-recovery"} {
		if !strings.Contains(prompt.body, `id="`+id+`"`) {
			t.Errorf("the prompt lacks #%s", id)
		}
	}
	sudo := func(method, code string) answer {
		return app.request(t, "POST", sudoPath, app.origin(), url.Values{"method": {method}, "code": {code}, "next": {securityPath}}, cookie)
	}
	if got := sudo("totp", "123456"); got.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong code: status %d", got.StatusCode)
	}
	code := app.nextTOTPCode(t, secret)
	if got := sudo("totp", code); got.Header.Get("Location") != securityPath {
		t.Fatalf("a right code: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	app.clock.Advance(sudoLapse)
	if got := sudo("totp", code); got.StatusCode != http.StatusUnauthorized {
		t.Errorf("the same code again: status %d, want 401", got.StatusCode)
	}
	if got := sudo("recovery-code", codes[0]); got.Header.Get("Location") != securityPath {
		t.Fatalf("a recovery code: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	// New recovery codes replace the old ones.
	again := app.request(t, "POST", "/account/recovery-codes", app.origin(), url.Values{}, cookie)
	var fresh []string
	for _, m := range recoveryCodePattern.FindAllStringSubmatch(again.body, -1) {
		fresh = append(fresh, m[1])
	}
	if len(fresh) != 10 || slices.Contains(fresh, codes[1]) {
		t.Fatalf("new recovery codes: %d shown, or an old one among them", len(fresh))
	}
	app.request(t, "POST", "/logout", app.origin(), url.Values{}, cookie)
	_, pending := app.passwordStep(t, "vic", "correct horse")
	if got := app.secondStep(t, pending, "recovery-code", codes[1]); got.StatusCode != http.StatusUnauthorized {
		t.Errorf("an old recovery code after new ones were made: status %d, want 401", got.StatusCode)
	}
	if got := app.secondStep(t, pending, "recovery-code", strings.ToUpper(fresh[1])); got.Header.Get("Location") != securityPath+"?m=recovery-code-used" {
		t.Errorf("a new recovery code, in capitals: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
}

// Removing the authenticator app (in sudo mode) turns the second step off.
func TestRemoveAuthenticatorApp(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "wes", "correct horse")
	app.setUpTOTP(t, cookie)
	got := app.request(t, "POST", "/account/totp/remove", app.origin(), url.Values{}, cookie)
	if got.Header.Get("Location") != securityPath+"?m=totp-removed" {
		t.Fatalf("removing: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if page := app.request(t, "GET", securityPath, "", nil, cookie); !strings.Contains(page.body, `id="totp-setup"`) {
		t.Errorf("the security page after removing the app offers no new one:\n%s", page.body)
	}
	if _, ok := app.logIn(t, "wes", "correct horse"); !ok {
		t.Error("the password alone does not log in after the app was removed")
	}
}

// A user of "Sign in with ...", who has no password, enters sudo mode by
// signing in with the provider again, with the account linked to theirs
// (another is refused and linked to nobody), and then sets a password.
// With an authenticator app, the provider's sign-in leads to the second
// step too.
func TestOAuthUserSudoAndSecondStep(t *testing.T) {
	t.Parallel()
	app, provider := startAppWithProvider(t)
	cookie := app.oauthSignIn(t, "9001").sessionCookie()
	user := app.sessionUserID(t, cookie)
	app.clock.Advance(sudoLapse)

	set := func() answer {
		return app.request(t, "POST", "/password/set", app.origin(), url.Values{"username": {"yuki"}, "new_password": {"battery staple"}}, cookie)
	}
	if got := set(); got.Header.Get("Location") != withNext(sudoPath, "/account") {
		t.Fatalf("setting a password from a stale session: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	prompt := app.request(t, "GET", withNext(sudoPath, "/account"), "", nil, cookie)
	if !strings.Contains(prompt.body, `id="sudo-oauth"`) || strings.Contains(prompt.body, `id="sudo-password"`) {
		t.Fatalf("the prompt of a user without a password:\n%s", prompt.body)
	}
	reauth := func(providerUserID string) answer {
		start := app.request(t, "POST", sudoOAuthPath, app.origin(), url.Values{"next": {"/account"}}, cookie)
		return app.throughProvider(t, provider, start, providerUserID, cookie)
	}
	if got := reauth("666"); got.StatusCode != http.StatusForbidden || !strings.Contains(errorMessage(got.body), "not the one linked to yours") {
		t.Errorf("another provider account: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	if ids := app.keyIDs(t, user); !slices.Equal(ids, []string{"testprovider:9001"}) {
		t.Fatalf("keys after a refused re-authentication: %v", ids)
	}
	if got := reauth("9001"); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account" {
		t.Fatalf("the linked account: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}
	if got := set(); got.Header.Get("Location") != "/account?m=password-set" {
		t.Fatalf("setting a password after the provider's sign-in: status %d, location %q\n%s", got.StatusCode, got.Header.Get("Location"), got.body)
	}

	secret, _ := app.setUpTOTP(t, cookie)
	app.request(t, "POST", "/logout", app.origin(), url.Values{}, cookie)
	signIn := app.oauthSignIn(t, "9001")
	pending := signIn.cookiesBut("auth_session")
	if signIn.Header.Get("Location") != secondStepPath || len(pending) == 0 {
		t.Fatalf("signing in with the provider with an authenticator app: status %d, location %q", signIn.StatusCode, signIn.Header.Get("Location"))
	}
	done := app.secondStep(t, pending, "totp", app.nextTOTPCode(t, secret))
	if done.Header.Get("Location") != "/account" || app.sessionUserID(t, done.sessionCookie()) != user {
		t.Fatalf("the second step after the provider: status %d, location %q", done.StatusCode, done.Header.Get("Location"))
	}
}

// localPath keeps paths on this site and turns everything else, which a
// browser could read as another site, into /account.
func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/account":                     "/account",
		"/account/security?m=x":        "/account/security?m=x",
		"":                             "/account",
		"account":                      "/account",
		"//evil.example":               "/account",
		"/\\evil.example":              "/account",
		"/\t/evil.example":             "/account",
		"https://evil.example/":        "/account",
		"javascript:alert(1)":          "/account",
		"/" + strings.Repeat("a", 600): "/account",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
