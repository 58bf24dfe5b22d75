package luciapg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestAttackDeleteUserSessionOfAnotherUser: a signed-in attacker who
// learnt (or guesses) the id of a victim's session asks to revoke it as
// one of their own. The Store must refuse it as an unknown session and
// leave the victim signed in.
func TestAttackDeleteUserSessionOfAnotherUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Now()
	for _, id := range []string{"attacker", "victim"} {
		if _, err := store.SetUser(ctx, luciapg.User{ID: id}, nil); err != nil {
			t.Fatal(err)
		}
		session := luciapg.Session{ID: id + "-session", UserID: id, ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}
		if err := store.SetSession(ctx, session); err != nil {
			t.Fatal(err)
		}
	}
	err := store.DeleteUserSession(ctx, "attacker", "victim-session")
	if !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Errorf("DeleteUserSession of another user's session: %v, want ErrInvalidSessionID", err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM auth_session WHERE id = 'victim-session'"); n != 1 {
		t.Fatal("the attacker revoked the victim's session")
	}
	// The attacker's own, named the same way, goes.
	if err := store.DeleteUserSession(ctx, "attacker", "attacker-session"); err != nil {
		t.Fatalf("DeleteUserSession of one's own session: %v", err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM auth_session"); n != 1 {
		t.Fatalf("%d sessions left, want the victim's alone", n)
	}
	// Revoking "all others" of the attacker cannot reach the victim either.
	if n, err := store.DeleteOtherUserSessions(ctx, "attacker", "victim-session"); err != nil || n != 0 {
		t.Fatalf("DeleteOtherUserSessions(attacker, victim's id) = %d, %v; want 0, nil", n, err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM auth_session WHERE id = 'victim-session'"); n != 1 {
		t.Fatal("the attacker revoked the victim's session with DeleteOtherUserSessions")
	}
}

// TestAttackAuditEventUpdated: someone with the application's database
// role (an SQL injection elsewhere in the app, a careless script) rewrites
// the audit log to hide what happened. The table refuses every UPDATE;
// the event stays as written.
func TestAttackAuditEventUpdated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	at := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	event := luciapg.AuditEvent{At: at, Kind: luciapg.AuditLogin, UserID: "u1", ClientAddress: "192.0.2.1"}
	if err := store.RecordAuditEvent(ctx, event); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"UPDATE luciapg_audit_event SET client_address = '198.51.100.7'",
		"UPDATE luciapg_audit_event SET kind = 'logout' WHERE user_id = 'u1'",
		"UPDATE luciapg_audit_event SET at = at - interval '1 year'",
	} {
		_, err := pool.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Errorf("%s: %v, want the table's refusal", sql, err)
		}
	}
	events, err := store.ListAuditEvents(ctx, luciapg.AuditQuery{UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ClientAddress != "192.0.2.1" || events[0].Kind != luciapg.AuditLogin || !events[0].At.Equal(at) {
		t.Fatalf("the event was changed: %+v", events)
	}
}
