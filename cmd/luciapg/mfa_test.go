package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// seedFactors gives the user an authenticator app (confirmed or not), a
// set of recovery codes (used of them used up) and named passkeys, as the
// auth core would have stored them.
func seedFactors(t *testing.T, store *luciapg.Store, userID string, confirmed bool, codes, used int, passkeys ...string) {
	t.Helper()
	ctx := t.Context()
	if err := store.SetTOTP(ctx, luciapg.TOTP{UserID: userID, EncryptionKeyID: "k1", EncryptedSecret: []byte("sealed secret, never shown")}); err != nil {
		t.Fatal(err)
	}
	if confirmed {
		if err := store.ConfirmTOTP(ctx, userID, 1); err != nil {
			t.Fatal(err)
		}
	}
	var hashes []string
	for i := range codes {
		hashes = append(hashes, userID+"-code-hash-"+string(rune('a'+i)))
	}
	if err := store.SetRecoveryCodes(ctx, userID, hashes); err != nil {
		t.Fatal(err)
	}
	for _, h := range hashes[:used] {
		if err := store.UseRecoveryCode(ctx, userID, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range passkeys {
		if err := store.SetPasskey(ctx, luciapg.Passkey{CredentialID: []byte(userID + name), UserID: userID, Name: name, PublicKey: []byte("cose")}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMFAStatus: a support desk sees which second factors a user has, by
// name and count, never a secret; --json says the same for scripts.
func TestMFAStatus(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash)
	seedUser(t, store, "user2", "bob", luciaHash)
	seedFactors(t, store, "user1", true, 10, 3, "Work laptop", "Phone\x1b[31m")
	if err := store.UpdatePasskeyUse(t.Context(), []byte("user1Work laptop"), 0, 1, false, now); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, url, now, "", "mfa", "status", "--user", "user1").wantCode(t, exitOK)
	for _, want := range []string{"7 unused", "Work laptop", now.UTC().Format(time.RFC3339), `"Phone\x1b[31m"`, "never"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "sealed secret") || strings.Contains(r.stdout, "code-hash") || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("status shows a secret or an escape sequence:\n%s", r.stdout)
	}

	r = runCLI(t, url, now, "", "mfa", "status", "--user", "user2", "--json").wantCode(t, exitOK)
	var status mfaStatus
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if status.AuthenticatorApp != "off" || status.UnusedRecoveryCodes != 0 || len(status.Passkeys) != 0 || status.SecondFactorRequired {
		t.Errorf("a user without second factors: %+v", status)
	}

	r = runCLI(t, url, now, "", "mfa", "status", "--user", "nobody").wantCode(t, exitNotFound)
	if !strings.Contains(r.stderr, `no user "nobody"`) {
		t.Errorf("an unknown user: %q", r.stderr)
	}
	runCLI(t, url, now, "", "mfa", "status").wantCode(t, exitUsage)
	runCLI(t, url, now, "", "mfa", "status", "--user", "user1", "extra").wantCode(t, exitUsage)
}

// TestMFAReset: a reset removes every second factor of the user and ends
// all their sessions, in one transaction, says what it did, and touches
// no one else; an unknown user is refused with one line.
func TestMFAReset(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	ctx := t.Context()
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("alicesession1", now, time.Hour, 2*time.Hour), session("alicesession2", now, time.Hour, 2*time.Hour))
	seedUser(t, store, "user2", "bob", luciaHash, session("bobsession1", now, time.Hour, 2*time.Hour))
	seedFactors(t, store, "user1", true, 10, 3, "Work laptop", "Phone")
	seedFactors(t, store, "user2", true, 10, 0, "Bob's key")

	r := runCLI(t, url, now, "", "mfa", "reset", "--user", "user1").wantCode(t, exitOK)
	want := "Reset the second factors of user user1: removed the authenticator app, 2 passkeys and 7 unused recovery codes; revoked 2 sessions.\n"
	if r.stdout != want {
		t.Errorf("reset printed %q, want %q", r.stdout, want)
	}
	factors, err := store.GetUserFactors(ctx, "user1")
	if err != nil || factors != (luciapg.UserFactors{}) {
		t.Errorf("after the reset: %+v, %v", factors, err)
	}
	if _, err := store.GetTOTP(ctx, "user1"); !errors.Is(err, luciapg.ErrFactorNotFound) {
		t.Errorf("the authenticator app survived: %v", err)
	}
	if sessions, _ := store.GetSessionsByUserID(ctx, "user1"); len(sessions) != 0 {
		t.Errorf("%d sessions survived the reset", len(sessions))
	}
	if factors, _ := store.GetUserFactors(ctx, "user2"); !factors.TOTP || factors.Passkeys != 1 || factors.RecoveryCodes != 10 {
		t.Errorf("another user's factors changed: %+v", factors)
	}
	if sessions, _ := store.GetSessionsByUserID(ctx, "user2"); len(sessions) != 1 {
		t.Errorf("another user's sessions changed: %d", len(sessions))
	}

	r = runCLI(t, url, now, "", "mfa", "reset", "--user", "user1", "--json").wantCode(t, exitOK)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if got["user_id"] != "user1" || got["removed_authenticator_app"] != false || got["revoked_sessions"] != float64(0) {
		t.Errorf("a second reset: %v", got)
	}

	r = runCLI(t, url, now, "", "mfa", "reset", "--user", "nobody").wantCode(t, exitNotFound)
	if !strings.Contains(r.stderr, `no user "nobody"`) {
		t.Errorf("an unknown user: %q", r.stderr)
	}
	r = runCLI(t, url, now, "", "mfa", "reset").wantCode(t, exitUsage)
	if !strings.Contains(r.stderr, "missing --user USER_ID") {
		t.Errorf("no --user: %q", r.stderr)
	}
}
