package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// smallKeyThrottle lets two wrong guesses through, then blocks the key for
// an hour: a test reaches the limit in a few requests and moves its clock
// past it rather than waiting.
var smallKeyThrottle = luciapg.ThrottlePolicy{FreeAttempts: 2, BaseDelay: time.Hour, MaxDelay: time.Hour, Window: 24 * time.Hour}

// A guesser who keeps trying is answered 429 with Retry-After and a plain
// sentence; while blocked even the right password gets no session, and an
// unknown username is throttled like a known one.
func TestThrottledLoginAnswers429(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{}, auth.Config{KeyThrottle: smallKeyThrottle})
	app.signUp(t, "ivan", "correct horse")

	for _, username := range []string{"ivan", "nobody"} {
		var got answer
		for attempt := 1; attempt <= 10; attempt++ {
			got = app.request(t, "POST", "/login", app.origin(), url.Values{"username": {username}, "password": {"guess " + strconv.Itoa(attempt)}})
			if got.StatusCode != http.StatusUnauthorized {
				break
			}
		}
		wantThrottled(t, username+", guessing", got)
	}

	got := app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"ivan"}, "password": {"correct horse"}})
	wantThrottled(t, "ivan, the right password while blocked", got)
	if c := got.sessionCookie(); c != nil && c.Value != "" {
		t.Fatal("a throttled login set a session cookie")
	}

	app.clock.Advance(2 * time.Hour)
	got = app.request(t, "POST", "/login", app.origin(), url.Values{"username": {"ivan"}, "password": {"correct horse"}})
	if got.StatusCode != http.StatusSeeOther || got.sessionCookie() == nil {
		t.Fatalf("after the wait, the right password: status %d\n%s", got.StatusCode, got.body)
	}
}

// The password change checks the current password through the same
// throttle: a stolen session cannot guess it there either.
func TestThrottledPasswordChangeAnswers429(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{}, auth.Config{KeyThrottle: smallKeyThrottle})
	cookie := app.signUp(t, "judy", "correct horse")

	var got answer
	for attempt := 1; attempt <= 10; attempt++ {
		got = app.request(t, "POST", "/password", app.origin(),
			url.Values{"current_password": {"guess " + strconv.Itoa(attempt)}, "new_password": {"battery staple"}}, cookie)
		if got.StatusCode != http.StatusUnauthorized {
			break
		}
	}
	wantThrottled(t, "changing the password", got)
}

// wantThrottled fails unless got is a 429 with a Retry-After of whole
// seconds and the sentence saying to wait.
func wantThrottled(t *testing.T, what string, got answer) {
	t.Helper()
	if got.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want %d\n%s", what, got.StatusCode, http.StatusTooManyRequests, got.body)
	}
	if seconds, err := strconv.Atoi(got.Header.Get("Retry-After")); err != nil || seconds < 1 {
		t.Errorf("%s: Retry-After %q, want a positive number of seconds", what, got.Header.Get("Retry-After"))
	}
	if msg := errorMessage(got.body); !strings.HasPrefix(msg, "Too many attempts. Please wait ") || !strings.HasSuffix(msg, " and try again.") {
		t.Errorf("%s: the page says %q", what, msg)
	}
}

func TestWaitText(t *testing.T) {
	t.Parallel()
	for seconds, want := range map[int64]string{1: "1 second", 59: "59 seconds", 60: "1 minute", 61: "2 minutes", 900: "15 minutes", 3600: "1 hour", 3601: "2 hours"} {
		if got := waitText(seconds); got != want {
			t.Errorf("waitText(%d) = %q, want %q", seconds, got, want)
		}
	}
}

// Behind a reverse proxy every request comes from the proxy. With
// -client-address-header the app counts attempts per client address as
// the proxy reports it, so one guesser does not use up everyone's
// attempts; without it, all clients share the proxy's address.
func TestClientAddressHeaderSeparatesClientsBehindAProxy(t *testing.T) {
	t.Parallel()
	smallAddressThrottle := luciapg.ThrottlePolicy{FreeAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour, Window: 24 * time.Hour}
	for _, header := range []string{"", "X-Forwarded-For"} {
		app := startAppWith(t, appConfig{clientAddressHeader: header}, auth.Config{AddressThrottle: smallAddressThrottle})
		app.signUp(t, "karl", "correct horse")
		login := func(client, username, password string) answer {
			t.Helper()
			app.header = http.Header{"X-Forwarded-For": {"203.0.113.9, " + client}}
			return app.request(t, "POST", "/login", app.origin(), url.Values{"username": {username}, "password": {password}})
		}
		var got answer
		for attempt := 1; attempt <= 10; attempt++ {
			// A different name each time: only the address throttle can stop it.
			got = login("198.51.100.1", "user"+strconv.Itoa(attempt), "guess")
			if got.StatusCode != http.StatusUnauthorized {
				break
			}
		}
		wantThrottled(t, "header "+header+": the guesser", got)
		got = login("198.51.100.2", "karl", "correct horse")
		if header == "" {
			wantThrottled(t, "no header: another client through the same proxy", got)
		} else if got.StatusCode != http.StatusSeeOther {
			t.Errorf("header %s: another client was refused: status %d\n%s", header, got.StatusCode, got.body)
		}
	}
}
