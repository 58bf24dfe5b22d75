package main

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/auth"
)

// totpStep is an authenticator app's time step: a code is good for one
// step, and the auth core takes each step's code once.
const totpStep = 30 * time.Second

// totpCode computes the authenticator-app code of the base32 secret at
// instant at, as a phone would, with Debian's oathtool (package oathtool).
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatal("no oathtool on PATH: install Debian's oathtool package (apt-get install -y oathtool; .ci/run does)")
	}
	out, err := exec.Command(path, "--totp", "-b", secret, "--now", at.UTC().Format("2006-01-02 15:04:05 UTC")).Output()
	if err != nil {
		// oathtool's message may quote the secret: not repeated here.
		t.Fatalf("oathtool failed: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// nextTOTPCode moves the app's clock to the next time step and returns
// its code: each step's code is accepted once.
func (a *runningApp) nextTOTPCode(t *testing.T, secret string) string {
	t.Helper()
	a.clock.Advance(totpStep)
	return totpCode(t, secret, a.clock.Now())
}

// coreSession returns the auth core's session for a session cookie.
func (a *runningApp) coreSession(t *testing.T, cookie *http.Cookie) auth.Session {
	t.Helper()
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	session, err := a.app.auth.ValidateSession(context.Background(), cookie.Value)
	if err != nil {
		t.Fatalf("the cookie's session: %v", err)
	}
	return session
}

// enrolTOTP gives username (whose session cookie and password these are)
// a confirmed authenticator app through the auth core, as the set-up page
// does, and returns its secret; the clock is then past the step used.
func (a *runningApp) enrolTOTP(t *testing.T, cookie *http.Cookie, username, password string) string {
	t.Helper()
	ctx := context.Background()
	session := a.coreSession(t, cookie)
	if err := a.app.auth.ReauthenticateWithPassword(ctx, session, usernameProvider, username, password); err != nil {
		t.Fatalf("entering sudo mode: %v", err)
	}
	enrolment, err := a.app.auth.BeginTOTPEnrollment(ctx, session, username)
	if err != nil {
		t.Fatalf("BeginTOTPEnrollment: %v", err)
	}
	if err := a.app.auth.ConfirmTOTPEnrollment(ctx, session, totpCode(t, enrolment.Secret, a.clock.Now())); err != nil {
		t.Fatalf("ConfirmTOTPEnrollment: %v", err)
	}
	return enrolment.Secret
}

// cookiesBut returns the cookies an answer sets, but the session cookie:
// what a login leaves the browser before its second step.
func (a answer) cookiesBut(name string) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range a.Cookies() {
		if c.Name != name && c.Value != "" {
			out = append(out, c)
		}
	}
	return out
}
