package main

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
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
	out, err := exec.Command(path, "--totp", "-b", "--now", "@"+strconv.FormatInt(at.Unix(), 10), secret).Output()
	if err != nil {
		// oathtool's message may quote the secret: not repeated here.
		t.Fatalf("oathtool failed: %v", err)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %d characters, not a six-digit code", len(code))
	}
	return code
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

var (
	totpSecretPattern   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7 ]+)</code>`)
	recoveryCodePattern = regexp.MustCompile(`<code class="recovery-code">([a-z2-7-]+)</code>`)
)

// setUpTOTP turns the authenticator app on through the security page's
// forms, as a user whose session is in sudo mode does: it reads the key
// from the set-up page, confirms it with a code, and returns the secret
// and the ten recovery codes the next page shows. The clock is then past
// the step used.
func (a *runningApp) setUpTOTP(t *testing.T, cookie *http.Cookie) (string, []string) {
	t.Helper()
	begin := a.request(t, "POST", "/account/totp", a.origin(), url.Values{}, cookie)
	m := totpSecretPattern.FindStringSubmatch(begin.body)
	if begin.StatusCode != http.StatusOK || m == nil || !strings.Contains(begin.body, `src="data:image/png;base64,`) {
		t.Fatalf("the set-up page: status %d, location %q, or no key and QR code\n%s", begin.StatusCode, begin.Header.Get("Location"), begin.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	confirm := a.request(t, "POST", "/account/totp/confirm", a.origin(), url.Values{"code": {totpCode(t, secret, a.clock.Now())}}, cookie)
	var codes []string
	for _, m := range recoveryCodePattern.FindAllStringSubmatch(confirm.body, -1) {
		codes = append(codes, m[1])
	}
	if confirm.StatusCode != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirming the app: status %d, %d recovery codes shown, want 10\n%s", confirm.StatusCode, len(codes), confirm.body)
	}
	a.clock.Advance(totpStep)
	return secret, codes
}

// passwordStep posts the login form and returns its answer and the
// pending-login cookie it set (nil when it set none).
func (a *runningApp) passwordStep(t *testing.T, username, password string) (answer, []*http.Cookie) {
	t.Helper()
	got := a.request(t, "POST", "/login", a.origin(), url.Values{"username": {username}, "password": {password}})
	return got, got.cookiesBut("auth_session")
}

// secondStep posts a code to the pending login's second step.
func (a *runningApp) secondStep(t *testing.T, pending []*http.Cookie, method, code string) answer {
	t.Helper()
	return a.request(t, "POST", secondStepPath, a.origin(), url.Values{"method": {method}, "code": {code}}, pending...)
}

// insertLuciaSession writes a session row for the user the way a Lucia v1
// app sharing the database does after a password alone: Lucia's table
// only, no factor record. It returns the session's cookie.
func (a *runningApp) insertLuciaSession(t *testing.T, userID string) *http.Cookie {
	t.Helper()
	id := strings.ToLower(rand.Text())[:26] + "abcdefghijklmn" // 40 characters, as Lucia makes them
	now := a.clock.Now()
	if _, err := a.db.Exec(context.Background(), `INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ($1, $2, $3, $4)`,
		id, userID, now.Add(24*time.Hour).UnixMilli(), now.Add(14*24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "auth_session", Value: id}
}
