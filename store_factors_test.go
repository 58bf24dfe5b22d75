package luciapg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// In a caller's transaction, a refused CompletePendingLogin rolls back
// only its own savepoint: the caller's earlier writes and the pending
// login stay, and a later completion in the same transaction commits with
// them.
func TestCompletePendingLoginInCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	now := time.Now()
	session := luciapg.Session{ID: "tx-session", UserID: "tx-user", ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}
	record := luciapg.SessionFactors{SessionID: session.ID, UserID: session.UserID, Factors: []string{luciapg.FactorPassword, luciapg.FactorTOTP}, AuthenticatedAt: now}
	inCallerTx(t, pool, true, func(store *luciapg.Store, tx pgx.Tx) {
		key := luciapg.Key{ID: "email:tx-user", PrimaryKey: true, HashedPassword: ptr("HASHED")}
		if _, err := store.SetUser(ctx, luciapg.User{ID: "tx-user"}, &key); err != nil {
			t.Fatal(err)
		}
		pending := luciapg.PendingLogin{ID: "tx-pending", UserID: "tx-user", ClientBinding: "cb", Factors: []string{luciapg.FactorPassword},
			KeyID: key.ID, KeyHashDigest: luciapg.KeyHashDigest("OLD HASH"), Expires: now.Add(time.Minute)}
		if err := store.SetPendingLogin(ctx, pending); err != nil {
			t.Fatal(err)
		}
		if err := store.CompletePendingLogin(ctx, pending.ID, now, session, record); !errors.Is(err, luciapg.ErrKeyChanged) {
			t.Fatalf("CompletePendingLogin with another hash's digest: %v, want ErrKeyChanged", err)
		}
		if countRows(t, tx, "SELECT count(*) FROM luciapg_pending_login") != 1 || userCount(t, tx, "tx-user") != 1 {
			t.Fatal("a refused completion undid more than its own savepoint")
		}
		if _, err := tx.Exec(ctx, "UPDATE luciapg_pending_login SET key_hash_digest = $1", luciapg.KeyHashDigest("HASHED")); err != nil {
			t.Fatal(err)
		}
		if err := store.CompletePendingLogin(ctx, pending.ID, now, session, record); err != nil {
			t.Fatalf("CompletePendingLogin: %v", err)
		}
		if err := store.SetRecoveryCodes(ctx, "tx-user", []string{"h1", "h2"}); err != nil {
			t.Fatal(err)
		}
	})
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'tx-session' AND factors = ARRAY['password', 'totp']"); got != 1 {
		t.Fatalf("%d committed session records, want 1", got)
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_pending_login"); got != 0 {
		t.Fatal("the completed pending login is still there")
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_recovery_code WHERE user_id = 'tx-user'"); got != 2 {
		t.Fatalf("%d recovery codes committed, want 2", got)
	}
}

// The purge of dead sessions takes their factor records with them (the
// foreign key cascades), and only theirs.
func TestPurgeDeadSessionsDeletesTheirRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Now()
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	dead := luciapg.Session{ID: "dead", UserID: "u1", ActiveExpires: now.Add(-2 * time.Hour).UnixMilli(), IdleExpires: now.Add(-time.Hour).UnixMilli()}
	alive := luciapg.Session{ID: "alive", UserID: "u1", ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}
	for _, s := range []luciapg.Session{dead, alive} {
		if err := store.SetSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := store.SetSessionFactors(ctx, luciapg.SessionFactors{SessionID: s.ID, UserID: s.UserID, Factors: []string{luciapg.FactorPassword}, AuthenticatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := store.PurgeDeadSessions(ctx, now, luciapg.PurgeOptions{}); err != nil || n != 1 {
		t.Fatalf("PurgeDeadSessions = %d, %v; want 1", n, err)
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'dead'"); got != 0 {
		t.Fatal("the purged session's record is still there")
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'alive'"); got != 1 {
		t.Fatal("the live session's record went with the purge")
	}
}
