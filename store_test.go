package luciapg_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/internal/testdb"
)

// conformancePoolSize is kept small so the concurrency case makes several
// times more calls than there are connections.
const conformancePoolSize = 4

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			pool := testdb.Pool(t, testdb.NewURL(t), conformancePoolSize)
			return luciapg.New(pool), adaptertest.SQLStorage(pool)
		},
		Concurrency: 8 * conformancePoolSize,
	})
}

// On a database luciapg never migrated, a Store call says which table is
// missing and what to run, instead of passing the raw SQL error on; the
// database's error stays in the chain.
func TestStoreOnAnUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.Pool(t, testdb.NewEmptyURL(t), 2)
	store := luciapg.New(pool)
	_, err := store.GetSession(ctx, "a-session-id")
	wantNotMigrated(t, "GetSession", err, "auth_session")
	_, err = store.SetUser(ctx, luciapg.User{ID: "u1"}, nil)
	wantNotMigrated(t, "SetUser", err, "auth_user")

	// A database a Lucia v1 app made: Lucia's tables, not luciapg's own.
	if _, err := pool.Exec(ctx, `CREATE TABLE auth_user (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatalf("SetUser on Lucia's auth_user: %v", err)
	}
	policy := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second, Window: time.Second}
	_, err = store.CountAttempt(ctx, "addr:192.0.2.1", time.Now(), policy)
	wantNotMigrated(t, "CountAttempt", err, "luciapg_attempt_throttle")
	_, err = store.GetTOTP(ctx, "u1")
	wantNotMigrated(t, "GetTOTP", err, "luciapg_totp")
	err = store.SetRecoveryCodes(ctx, "u1", []string{"h1"})
	wantNotMigrated(t, "SetRecoveryCodes", err, "luciapg_recovery_code")
}

// wantNotMigrated fails unless err is ErrNotMigrated naming table and the
// command to run, with PostgreSQL's error still in its chain.
func wantNotMigrated(t *testing.T, op string, err error, table string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.Is(err, luciapg.ErrNotMigrated) || !errors.As(err, &pgErr) {
		t.Fatalf("%s: %v, want ErrNotMigrated wrapping the database's error", op, err)
	}
	msg := err.Error()
	for _, want := range []string{table, "luciapg.Migrate", "luciapg migrate up"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%s: %q does not say %q", op, msg, want)
		}
	}
}

// A taken UNIQUE attribute inside the caller's transaction is the same
// typed error, with the column, and the transaction's earlier work is the
// caller's to keep or roll back.
func TestStoreDuplicateAttributeInCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "ada", Attributes: map[string]any{"username": "ada"}}, nil); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	_, err = luciapg.New(tx).SetUser(ctx, luciapg.User{ID: "grace", Attributes: map[string]any{"username": "ada"}}, nil)
	var e *luciapg.Error
	if !errors.Is(err, luciapg.ErrDuplicateAttribute) || !errors.As(err, &e) || e.Column() != "username" {
		t.Fatalf("SetUser with a taken username in a transaction: %v, want ErrDuplicateAttribute for username", err)
	}
	if got := e.Error(); got != "LUCIAPG_DUPLICATE_ATTRIBUTE (column username)" {
		t.Errorf("Error() = %q", got)
	}
}
