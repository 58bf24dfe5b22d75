package luciapg_test

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// Every write method of the adapters records the event its context
// carries once; reads, ExtendSession, RecordSessionsSeen, the throttle and
// the purges record nothing.
func TestEveryWriteRecordsItsEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Now()
	ev := luciapg.WithAuditEvent(ctx, loginEvent("u1"))
	policy := luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
	credential := []byte("credential-1")
	steps := []struct {
		name   string
		call   func() error
		writes bool
	}{
		{"SetUser", func() error {
			_, err := store.SetUser(ev, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1", PrimaryKey: true, HashedPassword: ptr("HASH")})
			return err
		}, true},
		{"GetUser", func() error { _, err := store.GetUser(ev, "u1"); return err }, false},
		{"UpdateUserAttributes", func() error {
			_, err := store.UpdateUserAttributes(ev, "u1", map[string]any{"username": "bob"})
			return err
		}, true},
		{"SetKey", func() error { return store.SetKey(ev, luciapg.Key{ID: "github:1", UserID: "u1"}) }, true},
		{"UpdateKeyPassword", func() error { _, err := store.UpdateKeyPassword(ev, "email:u1", ptr("HASH")); return err }, true},
		{"SetSessionForKey", func() error { return store.SetSessionForKey(ev, aliveSession("s0", "u1"), "email:u1", "HASH", nil) }, true},
		{"SetSession", func() error { return store.SetSession(ev, aliveSession("s1", "u1")) }, true},
		{"ExtendSession", func() error { _, err := store.ExtendSession(ev, "s1", 1, 2); return err }, false},
		{"GetSessionAndUser", func() error { _, _, err := store.GetSessionAndUser(ev, "s1"); return err }, false},
		{"RecordSessionsSeen", func() error { return store.RecordSessionsSeen(ev, []luciapg.SessionSeen{{SessionID: "s1", At: now}}) }, false},
		{"GetUserSessionsMetadata", func() error { _, err := store.GetUserSessionsMetadata(ev, "u1"); return err }, false},
		{"SetSessionFactors", func() error {
			return store.SetSessionFactors(ev, luciapg.SessionFactors{SessionID: "s1", UserID: "u1", Factors: []string{"password"}, AuthenticatedAt: now})
		}, true},
		{"CountAttempt", func() error { _, err := store.CountAttempt(ev, "addr:192.0.2.1", now, policy); return err }, false},
		{"ResetAttempts", func() error { return store.ResetAttempts(ev, "addr:192.0.2.1") }, false},
		{"SetTOTP", func() error {
			return store.SetTOTP(ev, luciapg.TOTP{UserID: "u1", EncryptionKeyID: "k1", EncryptedSecret: []byte("sealed")})
		}, true},
		{"ConfirmTOTP", func() error { return store.ConfirmTOTP(ev, "u1", 10) }, true},
		{"UseTOTPStep", func() error { return store.UseTOTPStep(ev, "u1", 11) }, true},
		{"SetRecoveryCodes", func() error { return store.SetRecoveryCodes(ev, "u1", []string{"h1", "h2"}) }, true},
		{"UseRecoveryCode", func() error { return store.UseRecoveryCode(ev, "u1", "h1") }, true},
		{"PasskeyUserHandle", func() error { _, err := store.PasskeyUserHandle(ev, "u1", []byte("handle")); return err }, true},
		{"SetPasskey", func() error {
			return store.SetPasskey(ev, luciapg.Passkey{CredentialID: credential, UserID: "u1", Name: "laptop", PublicKey: []byte("pk"), AttestationType: "none"})
		}, true},
		{"RenamePasskey", func() error { return store.RenamePasskey(ev, "u1", credential, "work laptop") }, true},
		{"UpdatePasskeyUse", func() error { return store.UpdatePasskeyUse(ev, credential, 0, 1, false, now) }, true},
		{"DeletePasskey", func() error { return store.DeletePasskey(ev, "u1", credential) }, true},
		{"SetChallenge", func() error {
			return store.SetChallenge(ev, luciapg.Challenge{ID: "c1", UserID: "u1", Purpose: "register", Data: []byte("d"), Expires: now.Add(time.Minute)})
		}, true},
		{"ConsumeChallenge", func() error { _, err := store.ConsumeChallenge(ev, "c1", now); return err }, true},
		{"SetPendingLogin", func() error {
			return store.SetPendingLogin(ev, luciapg.PendingLogin{ID: "p1", UserID: "u1", ClientBinding: "cb", Factors: []string{"password"}, Expires: now.Add(time.Minute)})
		}, true},
		{"CompletePendingLogin", func() error {
			return store.CompletePendingLogin(ev, "p1", now, aliveSession("s2", "u1"),
				luciapg.SessionFactors{SessionID: "s2", UserID: "u1", Factors: []string{"password", "totp"}, AuthenticatedAt: now})
		}, true},
		{"DeleteTOTP", func() error { return store.DeleteTOTP(ev, "u1") }, true},
		{"DeleteSecondFactors", func() error { return store.DeleteSecondFactors(ev, "u1") }, true},
		{"PurgeExpiredCeremonies", func() error { _, err := store.PurgeExpiredCeremonies(ev, now); return err }, false},
		{"SetEmailChange", func() error {
			return store.SetEmailChange(ev, luciapg.EmailChange{UserID: "u1", NewEmail: "new@example.com", TokenID: "t1", Expires: now.Add(time.Hour)})
		}, true},
		{"GetEmailChange", func() error { _, err := store.GetEmailChange(ev, "u1", now); return err }, false},
		{"ConsumeEmailChange", func() error { _, err := store.ConsumeEmailChange(ev, "u1", "t1", now); return err }, true},
		{"DeleteEmailChange", func() error { return store.DeleteEmailChange(ev, "u1") }, true},
		{"PurgeExpiredEmailChanges", func() error { _, err := store.PurgeExpiredEmailChanges(ev, now); return err }, false},
		{"RecordAuditEvent", func() error { return store.RecordAuditEvent(ev, loginEvent("u2")) }, true},
		{"PurgeAuditEvents", func() error { _, err := store.PurgeAuditEvents(ev, now.Add(-time.Hour), 10); return err }, false},
		{"DeleteUserSession", func() error { return store.DeleteUserSession(ev, "u1", "s0") }, true},
		{"DeleteOtherUserSessions", func() error { _, err := store.DeleteOtherUserSessions(ev, "u1", "s1"); return err }, true},
		{"DeleteSession", func() error { return store.DeleteSession(ev, "s1") }, true},
		{"DeleteSessionsByUserID", func() error { return store.DeleteSessionsByUserID(ev, "u1") }, true},
		{"DeleteNonPrimaryKey", func() error { return store.DeleteNonPrimaryKey(ev, "github:1") }, true},
		{"ConsumeKey", func() error {
			if err := store.SetKey(ctx, luciapg.Key{ID: "once:1", UserID: "u1", Expires: ptr(now.Add(time.Hour).UnixMilli())}); err != nil {
				return err
			}
			_, err := store.ConsumeKey(ev, "once:1")
			return err
		}, true},
		{"DeleteKeysByUserID", func() error { return store.DeleteKeysByUserID(ev, "u1") }, true},
		{"DeleteUser", func() error { return store.DeleteUser(ev, "u1") }, true},
	}
	want := 0
	for _, step := range steps {
		if err := step.call(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if step.writes {
			want++
		}
		if got := auditCount(t, pool); got != want {
			t.Fatalf("after %s: %d events, want %d", step.name, got, want)
		}
	}
	// The log outlives the user it names.
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event WHERE user_id = 'u1'"); n != want-1 {
		t.Fatalf("%d of u1's events left after its deletion, want %d", n, want-1)
	}
}
