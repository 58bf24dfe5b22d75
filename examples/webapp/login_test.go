package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/luciapg/luciapg"
)

// seedAccount stores a user who logs in as username; hash nil gives the
// key no password (as the admin CLI's `users create --key` without
// --password-stdin does).
func seedAccount(t *testing.T, store *luciapg.Store, userID, username string, hash *string) {
	t.Helper()
	if _, err := store.SetUser(context.Background(),
		luciapg.User{ID: userID, Attributes: map[string]any{"username": username}},
		&luciapg.Key{ID: usernameProvider + ":" + username, PrimaryKey: true, HashedPassword: hash}); err != nil {
		t.Fatal(err)
	}
}

// An account whose key has no password cannot be entered through the
// login form with an empty password: it gets no session.
func TestLoginWithEmptyPasswordGetsNoSession(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	seedAccount(t, app.store, "dave-id", "dave", nil)

	for _, password := range []string{"", " "} {
		got := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"dave"}, "password": {password}})
		if got.StatusCode != http.StatusUnauthorized {
			t.Errorf("password %q: status %d, want %d", password, got.StatusCode, http.StatusUnauthorized)
		}
		if c := got.sessionCookie(); c != nil && c.Value != "" {
			t.Errorf("password %q: the answer sets a session cookie", password)
		}
	}
	if n := app.sessionCount(t, "dave-id"); n != 0 {
		t.Fatalf("dave has %d sessions after logins with empty passwords, want 0", n)
	}
}

// The login form answers an unknown username exactly as a wrong password,
// so it cannot be used to find out who has an account.
func TestLoginDoesNotRevealUsernames(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "erin", "correct horse")

	wrongPassword := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"erin"}, "password": {"wrong horse"}})
	unknownName := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"frank"}, "password": {"wrong horse"}})
	malformedName := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"a b"}, "password": {"wrong horse"}})
	for name, got := range map[string]answer{"wrong password": wrongPassword, "unknown username": unknownName, "malformed username": malformedName} {
		if got.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want %d", name, got.StatusCode, http.StatusUnauthorized)
		}
		if msg := errorMessage(got.body); msg != "Wrong username or password. Please try again." {
			t.Errorf("%s: the page says %q", name, msg)
		}
	}
}
