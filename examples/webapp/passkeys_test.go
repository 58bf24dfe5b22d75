package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
)

// seedPasskey stores a passkey for the user of the session cookie, as a
// registration would have, and records it proven in that session: what
// the list, rename and remove forms work on (the ceremonies themselves
// are TestBrowserPasskeys').
func (a *runningApp) seedPasskey(t *testing.T, cookie *http.Cookie, name string) []byte {
	t.Helper()
	ctx := context.Background()
	session := a.coreSession(t, cookie)
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	if err := a.store.SetPasskey(ctx, luciapg.Passkey{CredentialID: id, UserID: session.UserID, Name: name, PublicKey: []byte{0xa5, 0x01, 0x02}, AttestationType: "none"}); err != nil {
		t.Fatalf("storing a passkey: %v", err)
	}
	if err := a.app.auth.Reauthenticated(ctx, session, luciapg.FactorPasskey); err != nil {
		t.Fatal(err)
	}
	return id
}

// postJSON posts body as JSON, as static/passkey.js does, and decodes the
// answer.
func (a *runningApp) postJSON(t *testing.T, path string, body any, cookies ...*http.Cookie) (answer, passkeyAnswer) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", a.url+path, strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", a.origin())
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got passkeyAnswer
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST %s: status %d, not JSON: %v", path, resp.StatusCode, err)
	}
	return answer{Response: resp}, got
}

// The passkeys page lists a user's passkeys, renames them (a name is 1 to
// 100 characters) and removes them; another user's passkey can be neither
// renamed nor removed, whatever id the form posts.
func TestPasskeysPage(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	owner := app.signUp(t, "ada", "correct horse")
	id := app.seedPasskey(t, owner, "Phone")
	form := func(name string) url.Values {
		return url.Values{"id": {base64.RawURLEncoding.EncodeToString(id)}, "name": {name}}
	}

	other := app.signUp(t, "bob", "correct horse")
	for _, path := range []string{"/account/passkeys/rename", "/account/passkeys/remove"} {
		if got := app.request(t, "POST", path, app.origin(), form("Mine now"), other); got.StatusCode != http.StatusNotFound {
			t.Errorf("another user posting %s: status %d, want 404", path, got.StatusCode)
		}
	}
	if n := app.passkeyCount(t, app.userIDOf(t, "ada")); n != 1 {
		t.Fatalf("ada has %d passkeys after another user's attempts, want 1", n)
	}

	page := app.request(t, "GET", passkeysPath, "", nil, owner)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `<td class="passkey-name">Phone</td>`) || !strings.Contains(page.body, "never") {
		t.Fatalf("the passkeys page: status %d\n%s", page.StatusCode, page.body)
	}
	if !strings.Contains(page.body, `id="no-recovery-codes"`) {
		t.Error("the passkeys page does not say there are no recovery codes")
	}
	if got := app.request(t, "POST", "/account/passkeys/rename", app.origin(), form("  "), owner); got.StatusCode != http.StatusUnprocessableEntity || errorMessage(got.body) != passkeyNameRule {
		t.Errorf("an empty name: status %d, error %q", got.StatusCode, errorMessage(got.body))
	}
	if got := app.request(t, "POST", "/account/passkeys/rename", app.origin(), form("Old phone"), owner); got.Header.Get("Location") != passkeysPath+"?m=passkey-renamed" {
		t.Fatalf("renaming: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if got := app.request(t, "GET", passkeysPath, "", nil, owner); !strings.Contains(got.body, `<td class="passkey-name">Old phone</td>`) {
		t.Errorf("the page after renaming:\n%s", got.body)
	}
	if got := app.request(t, "POST", "/account/passkeys/remove", app.origin(), form(""), owner); got.Header.Get("Location") != passkeysPath+"?m=passkey-removed" {
		t.Fatalf("removing: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if n := app.passkeyCount(t, app.userIDOf(t, "ada")); n != 0 {
		t.Fatalf("ada has %d passkeys after removing hers, want 0", n)
	}
}

// Adding or removing a passkey needs sudo mode: from a stale session the
// add page (behind authhttp's RequireSudo) leads to the prompt and back,
// the ceremony's JSON says to go there, and the remove form does too,
// removing nothing. A ceremony's answer that is not a browser's is refused
// with a sentence that repeats nothing of it, and opens no session; an
// unknown purpose is not found.
func TestPasskeysNeedSudoMode(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	cookie := app.signUp(t, "cai", "correct horse")
	id := app.seedPasskey(t, cookie, "Laptop")
	app.clock.Advance(sudoLapse)

	if got := app.request(t, "GET", newPasskeyPath, "", nil, cookie); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != withNext(sudoPath, newPasskeyPath) {
		t.Errorf("the add page from a stale session: status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	if got, body := app.postJSON(t, "/passkey/register/begin", map[string]string{}, cookie); got.StatusCode != http.StatusForbidden || body.Redirect != withNext(sudoPath, newPasskeyPath) || body.Token != "" {
		t.Errorf("beginning a registration from a stale session: status %d, %+v", got.StatusCode, body)
	}
	remove := app.request(t, "POST", "/account/passkeys/remove", app.origin(), url.Values{"id": {base64.RawURLEncoding.EncodeToString(id)}}, cookie)
	if remove.Header.Get("Location") != withNext(sudoPath, passkeysPath) {
		t.Errorf("removing from a stale session: status %d, location %q", remove.StatusCode, remove.Header.Get("Location"))
	}
	if n := app.passkeyCount(t, app.userIDOf(t, "cai")); n != 1 {
		t.Fatalf("cai has %d passkeys, want 1", n)
	}
	// The prompt offers the passkey, the script that runs it, and the
	// password.
	prompt := app.request(t, "GET", withNext(sudoPath, newPasskeyPath), "", nil, cookie)
	for _, want := range []string{`data-passkey="sudo"`, `<script src="/passkey.js" defer></script>`, `id="sudo-password"`} {
		if !strings.Contains(prompt.body, want) {
			t.Errorf("the prompt lacks %s", want)
		}
	}

	forged := "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0"
	got, body := app.postJSON(t, "/passkey/login/finish", map[string]any{"token": "made-up-token", "response": map[string]any{"id": forged, "rawId": forged, "type": "public-key", "response": map[string]string{"clientDataJSON": forged}}})
	if got.StatusCode != http.StatusBadRequest || body.Error == "" || strings.Contains(body.Error, "made-up-token") || strings.Contains(body.Error, forged) {
		t.Errorf("a forged passwordless login: status %d, %+v", got.StatusCode, body)
	}
	if c := got.sessionCookie(); c != nil && c.Value != "" {
		t.Error("a forged passwordless login set a session cookie")
	}
	if got, _ := app.postJSON(t, "/passkey/nonsense/begin", map[string]string{}, cookie); got.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown purpose: status %d, want 404", got.StatusCode)
	}
	if strings.Contains(app.logs.String(), "made-up-token") {
		t.Error("the log holds the posted ceremony token")
	}
}
