package interop

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// secondFactorTables are luciapg's tables that hold a user's rows beside
// Lucia's three (migration 20261207000000_second_factors).
var secondFactorTables = []string{
	"luciapg_totp", "luciapg_recovery_code", "luciapg_passkey", "luciapg_passkey_user",
	"luciapg_webauthn_challenge", "luciapg_pending_login", "luciapg_session",
}

// countUserRows counts the user's rows in a second-factor table, through
// plain SQL.
func (db sharedDatabase) countUserRows(t *testing.T, table, userID string) int {
	t.Helper()
	var n int
	// table comes from secondFactorTables, never from input.
	if err := db.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE user_id = $1", userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sessionRecord stores a factor record for the session through Go.
func sessionRecord(t *testing.T, store *luciapg.Store, sessionID, userID string) {
	t.Helper()
	err := store.SetSessionFactors(t.Context(), luciapg.SessionFactors{
		SessionID: sessionID, UserID: userID, Factors: []string{luciapg.FactorPassword, luciapg.FactorTOTP}, AuthenticatedAt: time.Now(),
	})
	if err != nil {
		t.Fatalf("SetSessionFactors: %v", err)
	}
}

// A Lucia v1 app knows nothing of luciapg's second-factor tables, yet its
// deletions of users and sessions leave nothing behind there: the foreign
// keys cascade.
func TestLuciaV1DeletionsCascadeToSecondFactors(t *testing.T) {
	t.Parallel()

	t.Run("user deleted by Lucia takes its second factors and session records", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		store := luciapg.New(db.pool)
		ctx := t.Context()
		now := time.Now()
		userID := db.lucia.createUser("username", "grace", nil)
		other := db.lucia.createUser("username", "ada", nil)
		luciaSession := db.lucia.createSession(userID)
		goSession, err := db.goApp.CreateSession(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{userID, other} {
			if err := store.SetTOTP(ctx, luciapg.TOTP{UserID: id, EncryptionKeyID: "k1", EncryptedSecret: []byte("sealed")}); err != nil {
				t.Fatal(err)
			}
			if err := store.ConfirmTOTP(ctx, id, 1); err != nil {
				t.Fatal(err)
			}
			if err := store.SetRecoveryCodes(ctx, id, []string{"h1", "h2"}); err != nil {
				t.Fatal(err)
			}
			if err := store.SetPasskey(ctx, luciapg.Passkey{CredentialID: []byte("cred-" + id), UserID: id, Name: "Phone",
				PublicKey: []byte("cose"), AttestationType: "none"}); err != nil {
				t.Fatal(err)
			}
			if _, err := store.PasskeyUserHandle(ctx, id, []byte("handle-"+id)); err != nil {
				t.Fatal(err)
			}
			if err := store.SetChallenge(ctx, luciapg.Challenge{ID: "ch-" + id, UserID: id, Purpose: "register", Data: []byte("state"), Expires: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := store.SetPendingLogin(ctx, luciapg.PendingLogin{ID: "pl-" + id, UserID: id, ClientBinding: "cb",
				Factors: []string{luciapg.FactorPassword}, Expires: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		sessionRecord(t, store, luciaSession.SessionID, userID)
		sessionRecord(t, store, goSession.ID, userID)
		otherSession := db.lucia.createSession(other)
		sessionRecord(t, store, otherSession.SessionID, other)
		for _, table := range secondFactorTables {
			if db.countUserRows(t, table, userID) == 0 {
				t.Fatalf("no row in %s before the deletion: the test proves nothing", table)
			}
		}

		db.lucia.deleteUser(userID)
		if err := db.lucia.getUser(userID); !isLuciaError(err, "AUTH_INVALID_USER_ID") {
			t.Fatalf("Lucia getUser after deleteUser: %v, want AUTH_INVALID_USER_ID", err)
		}
		for _, table := range secondFactorTables {
			if n := db.countUserRows(t, table, userID); n != 0 {
				t.Errorf("%d rows of the deleted user left in %s", n, table)
			}
			if db.countUserRows(t, table, other) == 0 {
				t.Errorf("Lucia's deletion of one user took another's rows in %s", table)
			}
		}
	})

	t.Run("session invalidated by Lucia takes its record", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		store := luciapg.New(db.pool)
		userID := db.lucia.createUser("username", "grace", nil)
		loggedOut, kept := db.lucia.createSession(userID), db.lucia.createSession(userID)
		sessionRecord(t, store, loggedOut.SessionID, userID)
		sessionRecord(t, store, kept.SessionID, userID)

		db.lucia.invalidateSession(loggedOut.SessionID)
		if _, _, err := store.GetSessionFactors(t.Context(), loggedOut.SessionID); err == nil {
			t.Fatal("GetSessionFactors of the session Lucia invalidated: no error")
		}
		var left []string
		rows, err := db.pool.Query(context.Background(), "SELECT session_id FROM luciapg_session WHERE user_id = $1", userID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			left = append(left, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0] != kept.SessionID {
			t.Fatalf("%d session records left, want only the live session's", len(left))
		}
	})
}
