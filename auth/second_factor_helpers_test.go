package auth_test

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// Fixed application keys for the tests: never random, so a failure can be
// reproduced.
var (
	testKeyA = auth.SecretKey{ID: "key-a", Key: bytes.Repeat([]byte{0xa1}, 32)}
	testKeyB = auth.SecretKey{ID: "key-b", Key: bytes.Repeat([]byte{0xb2}, 32)}
)

// mfaConfig is a Config with a test clock, the fast hasher and key A.
func mfaConfig(c *clock) auth.Config {
	return auth.Config{Now: c.Now, PasswordHasher: fastHasher{}, SecretKeys: []auth.SecretKey{testKeyA}, TOTPIssuer: "Example"}
}

// newMFAAuth is an Auth for second-factor tests on adapter.
func newMFAAuth(adapter luciapg.ThrottlingAdapter) (*auth.Auth, *clock) {
	c := newClock()
	return mustAuth(auth.New(adapter, mfaConfig(c))), c
}

// factorAdapter is the adapter as a luciapg.FactorAdapter: every backend
// the tests run on must be one.
func factorAdapter(t *testing.T, adapter luciapg.ThrottlingAdapter) luciapg.FactorAdapter {
	t.Helper()
	fa, ok := adapter.(luciapg.FactorAdapter)
	if !ok {
		t.Fatalf("%T is no luciapg.FactorAdapter", adapter)
	}
	return fa
}

// signUp makes a user with a username key and password.
func signUp(t *testing.T, a *auth.Auth, username, password string) luciapg.User {
	t.Helper()
	user, err := a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: username, Password: password}})
	wantNoErr(t, "CreateUser", err)
	return user
}

// passwordLogin is BeginLogin for a user without a second factor: the
// session, freshly authenticated.
func passwordLogin(t *testing.T, ctx context.Context, a *auth.Auth, username, password string) auth.Session {
	t.Helper()
	result, err := a.BeginLogin(ctx, "username", username, password)
	wantNoErr(t, "BeginLogin", err)
	if result.Pending != nil {
		t.Fatal("BeginLogin returned a pending login for a user without a second factor")
	}
	return result.Session
}

// beginPending is BeginLogin for a user with a second factor: the pending
// login.
func beginPending(t *testing.T, ctx context.Context, a *auth.Auth, username, password string) auth.PendingLogin {
	t.Helper()
	result, err := a.BeginLogin(ctx, "username", username, password)
	wantNoErr(t, "BeginLogin", err)
	if result.Pending == nil {
		t.Fatal("BeginLogin opened a session for a user with a second factor")
	}
	if result.Session != (auth.Session{}) {
		t.Fatal("BeginLogin returned a session beside a pending login")
	}
	return *result.Pending
}

// enrolTOTP gives the session's user an authenticator app, confirmed with
// a code of the clock's current step, and returns its base32 secret. The
// next code accepted is of a later step: advance the clock by a period.
func enrolTOTP(t *testing.T, ctx context.Context, a *auth.Auth, c *clock, session auth.Session) string {
	t.Helper()
	enrolment, err := a.BeginTOTPEnrollment(ctx, session, "user@example.com")
	wantNoErr(t, "BeginTOTPEnrollment", err)
	wantNoErr(t, "ConfirmTOTPEnrollment", a.ConfirmTOTPEnrollment(ctx, session, oathtoolCode(t, enrolment.Secret, c.Now())))
	return enrolment.Secret
}

// userWithTOTP signs a user up, logs them in and enrols an authenticator
// app; it returns the session and the secret, with the clock moved to the
// next step.
func userWithTOTP(t *testing.T, ctx context.Context, a *auth.Auth, c *clock, username, password string) (luciapg.User, auth.Session, string) {
	t.Helper()
	user := signUp(t, a, username, password)
	session := passwordLogin(t, ctx, a, username, password)
	secret := enrolTOTP(t, ctx, a, c, session)
	c.Advance(totpPeriod)
	return user, session, secret
}

// totpPeriod is RFC 6238's step, which luciapg uses.
const totpPeriod = 30 * time.Second

// oathtoolCode is the code of secret at the time at, from Debian's
// oathtool: an implementation of RFC 6238 that is not the one luciapg
// uses. A missing oathtool fails the test (CI installs it; `apt-get
// install oathtool` here).
func oathtoolCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatalf("oathtool is needed for TOTP tests (apt-get install oathtool): %v", err)
	}
	out, err := exec.Command(path, "--totp", "-b", "--now", "@"+strconv.FormatInt(at.Unix(), 10), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %q, not a six-digit code", code)
	}
	return code
}

// withAddress is ctx from the client at addr.
func withAddress(ctx context.Context, addr string) context.Context {
	return auth.WithClientAddress(ctx, addr)
}

// sessionCount is how many live sessions the user has.
func sessionCount(t *testing.T, a *auth.Auth, userID string) int {
	t.Helper()
	sessions, err := a.GetAllUserSessions(t.Context(), userID)
	wantNoErr(t, "GetAllUserSessions", err)
	return len(sessions)
}
