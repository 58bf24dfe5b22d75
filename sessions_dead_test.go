package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// deadSessionsNow is the "now" the purge tests measure expiries against.
// deadSessionsMillis is deadSessionsNow as the expiry columns store it.
var deadSessionsNow = time.UnixMilli(deadSessionsMillis)

const deadSessionsMillis int64 = 1_800_000_000_000

// seedSessions inserts a user and one session per idle expiry, with ids
// prefix0, prefix1, ..., all in one statement so that a concurrent purge
// sees all of them or none.
func seedSessions(t *testing.T, pool *pgxpool.Pool, userID, prefix string, idleExpires ...int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "INSERT INTO auth_user (id) VALUES ($1) ON CONFLICT DO NOTHING", userID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT $2 || (n - 1), $1, idle, idle FROM unnest($3::bigint[]) WITH ORDINALITY AS s(idle, n)`,
		userID, prefix, idleExpires); err != nil {
		t.Fatal(err)
	}
}

// sessionIDs returns the ids of all sessions, sorted.
func sessionIDs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT id FROM auth_session ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestPurgeDeadSessionsBatches(t *testing.T) {
	t.Parallel()
	for _, batchSize := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprintf("batch=%d", batchSize), func(t *testing.T) {
			t.Parallel()
			pool := testdb.New(t)
			// Seven dead sessions (one expired at the very last millisecond
			// before now), and sessions alive now, at the boundary included.
			seedSessions(t, pool, "dead_owner", "dead",
				0, 1, deadSessionsMillis-3_600_000, deadSessionsMillis-2, deadSessionsMillis-1, deadSessionsMillis-1, deadSessionsMillis-1)
			seedSessions(t, pool, "alive_owner", "alive", deadSessionsMillis, deadSessionsMillis+1, 1<<53)

			deleted, err := luciapg.New(pool).PurgeDeadSessions(context.Background(), deadSessionsNow, luciapg.PurgeOptions{BatchSize: batchSize})
			if err != nil {
				t.Fatal(err)
			}
			if deleted != 7 {
				t.Errorf("deleted %d sessions, want 7", deleted)
			}
			if got, want := fmt.Sprint(sessionIDs(t, pool)), "[alive0 alive1 alive2]"; got != want {
				t.Errorf("sessions left: %s, want %s", got, want)
			}
		})
	}
}

func TestPurgeDeadSessionsNoneDead(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "alive", deadSessionsMillis, deadSessionsMillis+1)
	deleted, err := luciapg.New(pool).PurgeDeadSessions(context.Background(), deadSessionsNow, luciapg.PurgeOptions{BatchSize: 10})
	if err != nil || deleted != 0 {
		t.Fatalf("PurgeDeadSessions = %d, %v; want 0, nil", deleted, err)
	}
	if got := len(sessionIDs(t, pool)); got != 2 {
		t.Errorf("%d sessions left, want 2", got)
	}
}

func TestPurgeDeadSessionsInCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := luciapg.New(tx).PurgeDeadSessions(ctx, deadSessionsNow, luciapg.PurgeOptions{BatchSize: 2})
	if err != nil || deleted != 3 {
		t.Fatalf("PurgeDeadSessions = %d, %v; want 3, nil", deleted, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(sessionIDs(t, pool)); got != 3 {
		t.Errorf("%d sessions after rollback, want all 3 back", got)
	}
}

// A session locked by another transaction is skipped, not waited for.
func TestPurgeDeadSessionsSkipsLockedRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, "SELECT 1 FROM auth_session WHERE id = 'dead1' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	deleted, err := luciapg.New(pool).PurgeDeadSessions(ctx, deadSessionsNow, luciapg.PurgeOptions{BatchSize: 1})
	if err != nil || deleted != 2 {
		t.Fatalf("PurgeDeadSessions = %d, %v; want 2, nil", deleted, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(sessionIDs(t, pool)), "[dead1]"; got != want {
		t.Errorf("sessions left: %s, want %s", got, want)
	}
}

// A zero BatchSize is DefaultBatchSize; one that cannot be a batch is
// refused.
func TestPurgeDeadSessionsBatchSize(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3)
	batches := 0
	if deleted, err := store.PurgeDeadSessions(context.Background(), deadSessionsNow, luciapg.PurgeOptions{AfterBatch: func(_ int64, n int) { batches = n }}); err != nil || deleted != 3 || batches != 1 {
		t.Fatalf("PurgeDeadSessions with the zero PurgeOptions = %d in %d batches, %v; want 3 deleted in one batch", deleted, batches, err)
	}
	for _, batchSize := range []int{-1, 1 << 31} {
		deleted, err := store.PurgeDeadSessions(context.Background(), deadSessionsNow, luciapg.PurgeOptions{BatchSize: batchSize})
		if !errors.Is(err, luciapg.ErrInvalidInput) || deleted != 0 {
			t.Errorf("batch size %d: PurgeDeadSessions = %d, %v; want 0, ErrInvalidInput", batchSize, deleted, err)
		}
	}
}

func TestPurgeDeadSessionsCancelled(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := luciapg.New(pool).PurgeDeadSessions(ctx, deadSessionsNow, luciapg.PurgeOptions{BatchSize: 10}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := len(sessionIDs(t, pool)); got != 1 {
		t.Errorf("%d sessions left, want 1", got)
	}
}

// TestPurgeDeadSessionsReportsEachBatch drives the purge the way the CLI
// does: count, then purge with a progress report after each batch, oldest
// first, until a short batch.
func TestPurgeDeadSessionsReportsEachBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	seedSessions(t, pool, "owner", "dead", 5, 1, 4, 2, 3)
	seedSessions(t, pool, "owner", "alive", deadSessionsMillis)

	dead, err := store.CountDeadSessions(ctx, deadSessionsNow)
	if err != nil || dead != 5 {
		t.Fatalf("CountDeadSessions = %d, %v; want 5", dead, err)
	}
	var reports []string
	deleted, err := store.PurgeDeadSessions(ctx, deadSessionsNow, luciapg.PurgeOptions{
		BatchSize:    2,
		BatchTimeout: time.Minute,
		AfterBatch: func(deleted int64, batches int) {
			if len(reports) == 0 {
				// The longest dead go first: idle expiries 1 and 2 (dead1, dead3).
				if got := sessionIDs(t, pool); fmt.Sprint(got) != "[alive0 dead0 dead2 dead4]" {
					t.Errorf("after the first batch: %v", got)
				}
			}
			reports = append(reports, fmt.Sprintf("%d/%d", deleted, batches))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(reports), "[2/1 4/2 5/3]"; got != want {
		t.Errorf("progress reports (deleted/batches) %s, want %s", got, want)
	}
	if deleted != 5 {
		t.Errorf("PurgeDeadSessions = %d, want 5", deleted)
	}
	if got := sessionIDs(t, pool); fmt.Sprint(got) != "[alive0]" {
		t.Fatalf("left %v, want only the live session", got)
	}
}

// Cancelling the context from the progress report stops the purge before
// the next batch, and the purge reports what it did delete.
func TestPurgeDeadSessionsStopsBetweenBatches(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3, 4, 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reports := 0
	deleted, err := luciapg.New(pool).PurgeDeadSessions(ctx, deadSessionsNow, luciapg.PurgeOptions{
		BatchSize:  2,
		AfterBatch: func(int64, int) { reports++; cancel() },
	})
	if !errors.Is(err, context.Canceled) || deleted != 2 || reports != 1 {
		t.Fatalf("PurgeDeadSessions = %d after %d batches, %v; want 2 deleted in 1 batch, context.Canceled", deleted, reports, err)
	}
	if got := len(sessionIDs(t, pool)); got != 3 {
		t.Errorf("%d sessions left, want 3", got)
	}
}

func TestPurgeDeadSessionsRefusesBadOptions(t *testing.T) {
	t.Parallel()
	store := luciapg.New(testdb.New(t))
	for name, opts := range map[string]luciapg.PurgeOptions{
		"negative batch size":    {BatchSize: -1},
		"batch size over int32":  {BatchSize: 1 << 31},
		"negative batch timeout": {BatchSize: 10, BatchTimeout: -time.Second},
	} {
		if _, err := store.PurgeDeadSessions(context.Background(), deadSessionsNow, opts); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
}
