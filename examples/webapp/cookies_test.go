package main

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth"
)

// Listening on a loopback address is what an app behind a TLS proxy does:
// that alone must not drop the cookie's Secure attribute.
func TestSessionCookieIsSecureOnALoopbackListener(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{}, auth.Config{})
	cookie := app.signUp(t, "grace", "correct horse")
	if !cookie.Secure {
		t.Errorf("the session cookie lacks Secure: %s", cookie)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("the session cookie is not HttpOnly and SameSite=Lax: %s", cookie)
	}
	// Logging out clears the cookie with the same attributes.
	got := app.request(t, "POST", "/logout", app.origin(), nil, cookie)
	if blank := got.sessionCookie(); blank == nil || blank.Value != "" || !blank.Secure {
		t.Errorf("logging out set %v, want a blank Secure cookie", blank)
	}
}

// Only the explicit development flag drops Secure, and then plain-HTTP
// form posts from the app's own origin work.
func TestInsecureDevCookiesDropSecure(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{insecureDevCookies: true}, auth.Config{})
	if cookie := app.signUp(t, "heidi", "correct horse"); cookie.Secure {
		t.Errorf("with -insecure-dev-cookies the session cookie is Secure: %s", cookie)
	}
}

// Starting with insecure development cookies is logged, so a production
// server started that way does not go unnoticed; the default logs nothing.
func TestInsecureDevCookiesAreLogged(t *testing.T) {
	t.Parallel()
	for _, insecure := range []bool{false, true} {
		var logs strings.Builder
		if _, err := newApp(nil, auth.Config{}, slog.New(slog.NewTextHandler(&logs, nil)), appConfig{insecureDevCookies: insecure}); err != nil {
			t.Fatalf("newApp: %v", err)
		}
		logged := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "insecure-dev-cookies")
		if logged != insecure {
			t.Errorf("insecureDevCookies %v: logged %q", insecure, logs.String())
		}
	}
}
