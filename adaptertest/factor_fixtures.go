package adaptertest

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// The second-factor rows the factor cases store, and helpers that fail
// the test on an adapter error where a case only sets things up.

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// micro is t as the storage keeps it: to the microsecond.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// factorAdapter returns the adapter under test as a luciapg.FactorAdapter,
// failing the case when it is none: an adapter that stores no second
// factors says so with Harness.WithoutFactors.
func (c *caseEnv) factorAdapter(t *testing.T) luciapg.FactorAdapter {
	t.Helper()
	f, ok := c.adapter.(luciapg.FactorAdapter)
	if !ok {
		t.Fatalf("the adapter under test (%T) is no luciapg.FactorAdapter: implement it, or set Harness.WithoutFactors to leave the factor cases out", c.adapter)
	}
	return f
}

func newTOTP(userID string) luciapg.TOTP {
	return luciapg.TOTP{UserID: userID, EncryptionKeyID: "key-2026", EncryptedSecret: randomBytes(48)}
}

func newPasskey(userID string) luciapg.Passkey {
	return luciapg.Passkey{
		CredentialID:    randomBytes(32),
		UserID:          userID,
		Name:            "Work laptop",
		PublicKey:       randomBytes(77),
		AttestationType: "none",
		Transports:      []string{"internal", "hybrid"},
		AAGUID:          randomBytes(16),
		SignCount:       7,
		BackupEligible:  true,
		BackupState:     false,
	}
}

func newChallenge(userID string, expires time.Time) luciapg.Challenge {
	return luciapg.Challenge{
		ID:      "ch_" + randomString(40),
		UserID:  userID,
		Purpose: "register",
		Data:    randomBytes(64),
		Expires: expires,
	}
}

// newPendingLogin is a pending login after a password check of key, or
// without one when key is nil.
func newPendingLogin(userID string, key *luciapg.Key, expires time.Time) luciapg.PendingLogin {
	p := luciapg.PendingLogin{
		ID:            "pl_" + randomString(40),
		UserID:        userID,
		ClientBinding: "cb_" + randomString(20),
		Factors:       []string{luciapg.FactorOAuth},
		Expires:       expires,
	}
	if key != nil {
		p.Factors = []string{luciapg.FactorPassword}
		p.KeyID, p.KeyHashDigest = key.ID, luciapg.KeyHashDigest(*key.HashedPassword)
	}
	return p
}

// sessionFactors is a record of session made by factors at time at.
func sessionFactors(session luciapg.Session, at time.Time, factors ...string) luciapg.SessionFactors {
	return luciapg.SessionFactors{SessionID: session.ID, UserID: session.UserID, Factors: factors, AuthenticatedAt: at}
}

// confirmedTOTP stores and confirms an enrolment of userID at step.
func confirmedTOTP(t *testing.T, c *caseEnv, userID string, step int64) luciapg.TOTP {
	t.Helper()
	f := c.factorAdapter(t)
	totp := newTOTP(userID)
	wantNoErr(t, "SetTOTP", f.SetTOTP(c.ctx, totp))
	wantNoErr(t, "ConfirmTOTP", f.ConfirmTOTP(c.ctx, userID, step))
	return totp
}

// storedPasskey stores p and returns it as the storage reads it back.
func storedPasskey(t *testing.T, c *caseEnv, p luciapg.Passkey) luciapg.Passkey {
	t.Helper()
	f := c.factorAdapter(t)
	wantNoErr(t, "SetPasskey", f.SetPasskey(c.ctx, p))
	got, err := f.GetPasskey(c.ctx, p.CredentialID)
	wantNoErr(t, "GetPasskey", err)
	return got
}

// wantTime fails unless got is the instant want.
func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// wantPasskey fails unless got is want, its storage-set times aside
// (compared by instant, when want has them).
func wantPasskey(t *testing.T, what string, got, want luciapg.Passkey) {
	t.Helper()
	if want.Transports == nil {
		want.Transports = []string{}
	}
	if len(want.AAGUID) == 0 {
		want.AAGUID = nil
	}
	if !want.CreatedAt.IsZero() {
		wantTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	}
	wantTime(t, what+": LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	got.CreatedAt, got.LastUsedAt, want.CreatedAt, want.LastUsedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	wantEqual(t, what, got, want)
}

// wantChallenge fails unless got is want, Expires compared by instant.
func wantChallenge(t *testing.T, what string, got, want luciapg.Challenge) {
	t.Helper()
	wantTime(t, what+": Expires", got.Expires, micro(want.Expires))
	got.Expires, want.Expires = time.Time{}, time.Time{}
	wantEqual(t, what, got, want)
}

// wantPendingLogin fails unless got is want, Expires compared by instant.
func wantPendingLogin(t *testing.T, what string, got, want luciapg.PendingLogin) {
	t.Helper()
	wantTime(t, what+": Expires", got.Expires, micro(want.Expires))
	got.Expires, want.Expires = time.Time{}, time.Time{}
	wantEqual(t, what, got, want)
}

// wantSessionFactors fails unless got is want, AuthenticatedAt compared
// by instant.
func wantSessionFactors(t *testing.T, what string, got, want luciapg.SessionFactors) {
	t.Helper()
	wantTime(t, what+": AuthenticatedAt", got.AuthenticatedAt, micro(want.AuthenticatedAt))
	got.AuthenticatedAt, want.AuthenticatedAt = time.Time{}, time.Time{}
	wantEqual(t, what, got, want)
}

// wantUserFactors fails unless the user's factors count as want.
func wantUserFactors(t *testing.T, c *caseEnv, userID string, want luciapg.UserFactors) {
	t.Helper()
	got, err := c.factorAdapter(t).GetUserFactors(c.ctx, userID)
	wantNoErr(t, "GetUserFactors", err)
	wantEqual(t, "GetUserFactors", got, want)
}

// wantNoRecord fails unless the session exists without a factor record.
func wantNoRecord(t *testing.T, c *caseEnv, session luciapg.Session) {
	t.Helper()
	got, _, err := c.factorAdapter(t).GetSessionFactors(c.ctx, session.ID)
	wantNoErr(t, "GetSessionFactors", err)
	wantEqual(t, "GetSessionFactors of a session without a record", got, luciapg.SessionFactors{SessionID: session.ID, UserID: session.UserID})
}

// exactlyOneWins runs call n times at once and fails unless exactly one
// returned nil and every other loser.
func exactlyOneWins(t *testing.T, what string, n int, loser error, call func() error) {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{}, n)
	for i := range n {
		go func() {
			<-start
			errs[i] = call()
			done <- struct{}{}
		}()
	}
	close(start)
	for range n {
		<-done
	}
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, loser):
			t.Fatalf("%s %d: %v, want nil or %v", what, i, err, loser)
		}
	}
	if winners != 1 {
		t.Fatalf("%d of %d concurrent %s calls won, want exactly 1", winners, n, what)
	}
}
