package luciapg_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// luciaV1Snapshot reads every row of Lucia's three tables as JSON, keyed by
// table and id, and the tables' column definitions, to compare a database
// before and after a call.
func luciaV1Snapshot(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	ctx := context.Background()
	snapshot := map[string]string{}
	for _, table := range []string{"auth_user", "auth_session", "auth_key"} {
		rows, err := conn.Query(ctx, "SELECT id, to_jsonb(r)::text FROM "+table+" AS r")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, row string
			if err := rows.Scan(&id, &row); err != nil {
				t.Fatal(err)
			}
			snapshot[table+" "+id] = row
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var columns string
	err := conn.QueryRow(ctx, `
SELECT string_agg(format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default), ', ' ORDER BY table_name, ordinal_position)
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name IN ('auth_user', 'auth_session', 'auth_key')`).Scan(&columns)
	if err != nil {
		t.Fatal(err)
	}
	snapshot["columns"] = columns
	return snapshot
}

// TestExtendSessionOnLuciaV1Database: on a database a Lucia v1 app created
// and still uses (its DDL, plus a column of its own on auth_session),
// ExtendSession changes the two expiries of that one session and nothing
// else: no other column, row, table or column type.
func TestExtendSessionOnLuciaV1Database(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	conn := connect(t, url)
	_, err := conn.Exec(ctx, `
CREATE TABLE auth_user (id TEXT PRIMARY KEY, username TEXT);
CREATE TABLE auth_session (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES auth_user(id) NOT NULL,
    active_expires BIGINT NOT NULL,
    idle_expires BIGINT NOT NULL,
    user_agent TEXT
);
CREATE TABLE auth_key (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES auth_user(id) NOT NULL,
    primary_key BOOLEAN NOT NULL,
    hashed_password TEXT,
    expires BIGINT
);
INSERT INTO auth_user VALUES ('lucia-user', 'ada'), ('other-user', 'grace');
INSERT INTO auth_session VALUES
    ('session-a', 'lucia-user', 1700000000000, 1700086400000, 'Firefox'),
    ('session-b', 'lucia-user', 1700000000000, 1700086400000, 'Safari'),
    ('session-c', 'other-user', 1700000000000, 1700086400000, NULL);
INSERT INTO auth_key VALUES ('username:ada', 'lucia-user', true, 's2:salt:hash', NULL);`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	before := luciaV1Snapshot(t, conn)
	got, err := luciapg.New(conn).ExtendSession(ctx, "session-a", 1800000000000, 1800086400000)
	if err != nil {
		t.Fatal(err)
	}
	want := luciapg.Session{ID: "session-a", UserID: "lucia-user", ActiveExpires: 1800000000000, IdleExpires: 1800086400000}
	if got != want {
		t.Fatalf("ExtendSession returned %+v, want %+v", got, want)
	}
	after := luciaV1Snapshot(t, conn)
	wantAfter := maps.Clone(before)
	wantAfter["auth_session session-a"] = `{"id": "session-a", "user_id": "lucia-user", "user_agent": "Firefox", "idle_expires": 1800086400000, "active_expires": 1800000000000}`
	if !maps.Equal(after, wantAfter) {
		for k := range maps.Keys(wantAfter) {
			if after[k] != wantAfter[k] {
				t.Errorf("%s:\n got  %s\n want %s", k, after[k], wantAfter[k])
			}
		}
		t.Fatal("ExtendSession changed more than the session's two expiries")
	}
}

// TestExtendSessionIsOneStatement: renewing a session is one UPDATE, and an
// id that could never be stored is answered without a round trip.
func TestExtendSessionIsOneStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, counter := countedPool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: "s1", UserID: "u1", ActiveExpires: 1, IdleExpires: 2}); err != nil {
		t.Fatal(err)
	}
	before := counter.n.Load()
	if _, err := store.ExtendSession(ctx, "s1", 3, 4); err != nil {
		t.Fatal(err)
	}
	if sent := counter.n.Load() - before; sent != 1 {
		t.Fatalf("ExtendSession sent %d statements, want 1", sent)
	}
	before = counter.n.Load()
	for _, id := range []string{"", "s\x001", "\xff", strings.Repeat("s", luciapg.MaxIDBytes+1)} {
		if _, err := store.ExtendSession(ctx, id, 3, 4); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("ExtendSession of an unstorable id: %v, want ErrInvalidSessionID", err)
		}
	}
	if sent := counter.n.Load() - before; sent != 0 {
		t.Fatalf("ExtendSession of unstorable ids sent %d statements, want none", sent)
	}
}

// TestExtendSessionInCallersTransaction: given a transaction, the renewal
// happens in it and goes away with a rollback.
func TestExtendSessionInCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.Pool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	original := luciapg.Session{ID: "s1", UserID: "u1", ActiveExpires: 1, IdleExpires: 2}
	if err := store.SetSession(ctx, original); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := luciapg.New(tx).ExtendSession(ctx, "s1", 3, 4); err != nil || s.IdleExpires != 4 {
		t.Fatalf("ExtendSession in a transaction: %+v, %v", s, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := store.GetSession(ctx, "s1"); err != nil || s != original {
		t.Fatalf("after the rollback: %+v, %v; want %+v", s, err, original)
	}
}
