package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// deadSessionsNow is the "now" the purge tests measure expiries against.
const deadSessionsNow int64 = 1_800_000_000_000

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

func TestDeleteDeadSessions(t *testing.T) {
	t.Parallel()
	for _, batchSize := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprintf("batch=%d", batchSize), func(t *testing.T) {
			t.Parallel()
			pool := testdb.New(t)
			// Seven dead sessions (one expired at the very last millisecond
			// before now), and sessions alive now, at the boundary included.
			seedSessions(t, pool, "dead_owner", "dead",
				0, 1, deadSessionsNow-3_600_000, deadSessionsNow-2, deadSessionsNow-1, deadSessionsNow-1, deadSessionsNow-1)
			seedSessions(t, pool, "alive_owner", "alive", deadSessionsNow, deadSessionsNow+1, 1<<53)

			deleted, err := luciapg.New(pool).DeleteDeadSessions(context.Background(), deadSessionsNow, batchSize)
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

func TestDeleteDeadSessionsNoneDead(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "alive", deadSessionsNow, deadSessionsNow+1)
	deleted, err := luciapg.New(pool).DeleteDeadSessions(context.Background(), deadSessionsNow, 10)
	if err != nil || deleted != 0 {
		t.Fatalf("DeleteDeadSessions = %d, %v; want 0, nil", deleted, err)
	}
	if got := len(sessionIDs(t, pool)); got != 2 {
		t.Errorf("%d sessions left, want 2", got)
	}
}

func TestDeleteDeadSessionsInCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := luciapg.New(tx).DeleteDeadSessions(ctx, deadSessionsNow, 2)
	if err != nil || deleted != 3 {
		t.Fatalf("DeleteDeadSessions = %d, %v; want 3, nil", deleted, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(sessionIDs(t, pool)); got != 3 {
		t.Errorf("%d sessions after rollback, want all 3 back", got)
	}
}

// A session locked by another transaction is skipped, not waited for.
func TestDeleteDeadSessionsSkipsLockedRows(t *testing.T) {
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
	deleted, err := luciapg.New(pool).DeleteDeadSessions(ctx, deadSessionsNow, 1)
	if err != nil || deleted != 2 {
		t.Fatalf("DeleteDeadSessions = %d, %v; want 2, nil", deleted, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(sessionIDs(t, pool)), "[dead1]"; got != want {
		t.Errorf("sessions left: %s, want %s", got, want)
	}
}

func TestDeleteDeadSessionsRefusesBadBatchSize(t *testing.T) {
	t.Parallel()
	store := luciapg.New(testdb.New(t))
	for _, batchSize := range []int{0, -1, 1 << 31} {
		deleted, err := store.DeleteDeadSessions(context.Background(), deadSessionsNow, batchSize)
		if !errors.Is(err, luciapg.ErrInvalidInput) || deleted != 0 {
			t.Errorf("batch size %d: DeleteDeadSessions = %d, %v; want 0, ErrInvalidInput", batchSize, deleted, err)
		}
	}
}

func TestDeleteDeadSessionsCancelled(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := luciapg.New(pool).DeleteDeadSessions(ctx, deadSessionsNow, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := len(sessionIDs(t, pool)); got != 1 {
		t.Errorf("%d sessions left, want 1", got)
	}
}

// TestDeadSessionsOneBatchAtATime drives the purge the way the CLI does:
// count, then one batch at a time, oldest first, until a short batch.
func TestDeadSessionsOneBatchAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	seedSessions(t, pool, "owner", "dead", 5, 1, 4, 2, 3)
	seedSessions(t, pool, "owner", "alive", deadSessionsNow)

	dead, err := store.CountDeadSessions(ctx, deadSessionsNow)
	if err != nil || dead != 5 {
		t.Fatalf("CountDeadSessions = %d, %v; want 5", dead, err)
	}
	var batches []int64
	for {
		n, err := store.DeleteDeadSessionsBatch(ctx, deadSessionsNow, 2)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, n)
		if n < 2 {
			break
		}
		if len(batches) == 1 {
			// The longest dead go first: idle expiries 1 and 2 (dead1, dead3).
			if got := sessionIDs(t, pool); fmt.Sprint(got) != "[alive0 dead0 dead2 dead4]" {
				t.Fatalf("after the first batch: %v", got)
			}
		}
	}
	if fmt.Sprint(batches) != "[2 2 1]" {
		t.Fatalf("batch sizes %v, want [2 2 1]", batches)
	}
	if got := sessionIDs(t, pool); fmt.Sprint(got) != "[alive0]" {
		t.Fatalf("left %v, want only the live session", got)
	}
	if _, err := store.DeleteDeadSessionsBatch(ctx, deadSessionsNow, 0); !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Fatalf("batch size 0: %v, want ErrInvalidInput", err)
	}
}
