package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/luciapg/luciapg/auth"
)

// TestAttackForgotPasswordIPv6Rotation (security review, finding 9): the
// forgot-password throttle counted each IPv6 address alone, so a client
// rotating through the addresses of its /64 (2^64 of them) was never
// throttled. It now counts the /64, as the auth core's throttles do
// (auth.Auth.AddressKey); another network is not held back by it.
func TestAttackForgotPasswordIPv6Rotation(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, appConfig{clientAddressHeader: "X-Forwarded-For"}, auth.Config{})
	forgot := func(client, login string) answer {
		t.Helper()
		app.header = http.Header{"X-Forwarded-For": {client}}
		return app.request(t, "POST", "/forgot-password", app.origin(), url.Values{"login": {login}})
	}
	var got answer
	for i := 1; i <= 3*addressMailPolicy.FreeAttempts; i++ {
		// A new address of the same /64 and a new name each time: only a
		// throttle on the network can stop it.
		got = forgot(fmt.Sprintf("2001:db8:1:2::%x", i), fmt.Sprintf("victim%d", i))
		if got.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if got.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("%d reset requests from one /64 were never throttled (last status %d)", 3*addressMailPolicy.FreeAttempts, got.StatusCode)
	}
	if got := forgot("2001:db8:1:3::1", "someone"); got.StatusCode == http.StatusTooManyRequests {
		t.Error("a client of another /64 was throttled too")
	}
}

// TestAttackSignUpFlood (security review, finding 7): one client's sign-ups
// are throttled (auth.Config.SignUpThrottle) and answered with 429 and
// Retry-After; a taken name is refused before its password is hashed.
func TestAttackSignUpFlood(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	var got answer
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("flood%d", i)
		got = app.request(t, "POST", "/signup", app.origin(), url.Values{"username": {name}, "email": {name + "@example.com"}, "password": {"correct horse"}})
		if got.StatusCode != http.StatusSeeOther {
			break
		}
	}
	wantThrottled(t, "the 100th sign-up from one client", got)
}
