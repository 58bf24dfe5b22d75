package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestSameKeyIDRace: 16 goroutines create 16 users with one key id.
// Exactly one succeeds, the others get ErrDuplicateKeyID, and only the
// winner's user exists (SetUser writes user and key in one statement).
func TestSameKeyIDRace(t *testing.T) {
	t.Parallel()
	const racers = 16
	store, pool, _ := newReliabilityStore(t, 8)
	ctx := callContext(t)
	keyID := "email:" + randomText(8) + "@example.com"
	userIDs := make([]string, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		userIDs[i] = fmt.Sprintf("racer%02d_%s", i, randomText(8))
		wg.Go(func() {
			<-start
			_, errs[i] = store.SetUser(ctx, luciapg.User{ID: userIDs[i]}, &luciapg.Key{ID: keyID, PrimaryKey: true, HashedPassword: pointerTo("h")})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, luciapg.ErrDuplicateKeyID):
			t.Errorf("racer %d: got %v, want ErrDuplicateKeyID", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer succeeded")
	}
	var users int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM auth_user WHERE id = ANY($1)`, userIDs).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Errorf("%d users exist, want only the winner's", users)
	}
	key, err := store.GetKey(ctx, keyID)
	if err != nil || key.UserID != userIDs[winner] {
		t.Errorf("key belongs to %q (error %v), want the winner %q", key.UserID, err, userIDs[winner])
	}
}

// TestDeleteUserRacesSessionAndKeyWrites deletes users while sessions and
// keys are being added for them. Each write either lands before the delete
// (and goes with the user) or fails with ErrInvalidUserID; DeleteUser never
// fails; nothing is left behind.
func TestDeleteUserRacesSessionAndKeyWrites(t *testing.T) {
	t.Parallel()
	const rounds, sessionWriters, keyWriters = 30, 3, 2
	store, pool, _ := newReliabilityStore(t, 8)
	ctx := callContext(t)
	var landed, refused atomic.Int64
	for round := range rounds {
		userID := fmt.Sprintf("doomed%02d_%s", round, randomText(8))
		if _, err := store.SetUser(ctx, luciapg.User{ID: userID}, &luciapg.Key{ID: "email:" + userID, PrimaryKey: true}); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		write := func(what string, call func() error) {
			wg.Go(func() {
				<-start
				switch err := call(); {
				case err == nil:
					landed.Add(1)
				case errors.Is(err, luciapg.ErrInvalidUserID):
					refused.Add(1)
				default:
					t.Errorf("round %d: %s racing DeleteUser: %v", round, what, err)
				}
			})
		}
		for i := range sessionWriters {
			write("SetSession", func() error {
				return store.SetSession(ctx, luciapg.Session{ID: fmt.Sprintf("s%d_%s", i, userID), UserID: userID, ActiveExpires: 1, IdleExpires: 2})
			})
		}
		for i := range keyWriters {
			write("SetKey", func() error {
				return store.SetKey(ctx, luciapg.Key{ID: fmt.Sprintf("k%d:%s", i, userID), UserID: userID})
			})
		}
		wg.Go(func() {
			<-start
			if err := store.DeleteUser(ctx, userID); err != nil {
				t.Errorf("round %d: DeleteUser: %v", round, err)
			}
		})
		close(start)
		wg.Wait()

		var left int
		err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM auth_user WHERE id = $1)
			+ (SELECT count(*) FROM auth_session WHERE user_id = $1) + (SELECT count(*) FROM auth_key WHERE user_id = $1)`,
			userID).Scan(&left)
		if err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Fatalf("round %d: %d rows of the deleted user remain", round, left)
		}
	}
	wantNoOrphans(t, pool)
	t.Logf("writes racing DeleteUser: %d landed before it, %d refused after it", landed.Load(), refused.Load())
}

// statementLog records the SQL of every statement a pool sends.
type statementLog struct {
	mu   sync.Mutex
	sqls []string
	// before, if set, runs before each statement is sent.
	before func(sql string)
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	l.sqls = append(l.sqls, data.SQL)
	l.mu.Unlock()
	if l.before != nil {
		l.before(data.SQL)
	}
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *statementLog) count(substring string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, sql := range l.sqls {
		if strings.Contains(sql, substring) {
			n++
		}
	}
	return n
}

// TestDeleteUserRetriesDeadlock builds a real deadlock around DeleteUser
// and checks that the Store, as the victim PostgreSQL picks, retries
// instead of returning the deadlock error.
//
// PostgreSQL looks for a deadlock once per lock wait, when that waiter's
// deadlock_timeout passes; the Store's connections wait 10ms, the other
// transaction a minute, so the Store's attempt must be the one that finds
// the cycle and is aborted. It finds it only if the cycle is complete
// when it looks, so the order is made certain, not left to the scheduler:
// "rival" locks the user's session row; DeleteUser locks the user row and
// is held (by its tracer) before its DELETE; rival queues for the user row
// behind it; only once rival is seen waiting does DeleteUser's DELETE run,
// wait for the session row, and find the cycle 10ms later.
//
// An earlier version let a third transaction hand the user row to
// DeleteUser and relied on rival queueing within those 10ms: on a loaded
// machine it sometimes did not, nobody found the cycle, and rival timed out.
func TestDeleteUserRetriesDeadlock(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["deadlock_timeout"] = "10ms"
	gate := &deleteGate{reached: make(chan struct{}), release: make(chan struct{})}
	statements := &statementLog{before: gate.hold}
	cfg.ConnConfig.Tracer = statements
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := luciapg.New(pool)
	ctx := callContext(t)

	userID := "deadlock_" + randomText(8)
	session := luciapg.Session{ID: "s_" + userID, UserID: userID, ActiveExpires: 1, IdleExpires: 2}
	if _, err := store.SetUser(ctx, luciapg.User{ID: userID}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, session); err != nil {
		t.Fatal(err)
	}

	rival, _ := beginOn(t, url)
	mustExec(t, rival, `SET LOCAL deadlock_timeout = '1min'`)
	mustExec(t, rival, `UPDATE auth_session SET idle_expires = idle_expires WHERE id = $1`, session.ID)

	gate.armed.Store(true)
	deleted := make(chan error, 1)
	go func() { deleted <- store.DeleteUser(ctx, userID) }()
	select {
	case <-gate.reached: // DeleteUser holds the user row, before its DELETE
	case err := <-deleted:
		t.Fatalf("DeleteUser returned before its DELETE: %v", err)
	}

	rivalLocked := make(chan error, 1)
	go func() {
		_, err := rival.Exec(ctx, `SELECT 1 FROM auth_user WHERE id = $1 FOR UPDATE`, userID)
		rivalLocked <- err
	}()
	waitForLockWaiters(t, url, 1)
	close(gate.release)

	// Rival gets the user row only once DeleteUser's first attempt is
	// rolled back as the deadlock victim.
	if err := <-rivalLocked; err != nil {
		t.Fatalf("rival: %v", err)
	}
	if err := rival.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-deleted; err != nil {
		t.Fatalf("DeleteUser: got %v, want the deadlock retried away", err)
	}
	if n := statements.count("FOR UPDATE"); n < 2 {
		t.Errorf("DeleteUser locked the user %d times, want a retry after the deadlock", n)
	}
	if _, err := store.GetUser(ctx, userID); !errors.Is(err, luciapg.ErrInvalidUserID) {
		t.Errorf("GetUser after DeleteUser: %v", err)
	}
	wantNoOrphans(t, pool)
}

// deleteGate holds DeleteUser's first DELETE of the user until released.
type deleteGate struct {
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

// hold blocks the first statement deleting the user, once armed.
func (g *deleteGate) hold(sql string) {
	if strings.Contains(sql, "DELETE FROM auth_user") && g.armed.CompareAndSwap(true, false) {
		close(g.reached)
		<-g.release
	}
}

// beginOn opens a connection of its own on url and begins a transaction,
// returning it with the connection's backend pid.
func beginOn(t *testing.T, url string) (pgx.Tx, uint32) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tx, conn.PgConn().PID()
}

func mustExec(t *testing.T, tx pgx.Tx, sql string, args ...any) {
	t.Helper()
	if _, err := tx.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitForLockWaiters polls until n backends of url's database other than
// those in except are waiting for a lock.
func waitForLockWaiters(t *testing.T, url string, n int, except ...uint32) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	exceptPIDs := make([]int64, len(except))
	for i, pid := range except {
		exceptPIDs[i] = int64(pid)
	}
	deadline := time.Now().Add(reliabilityTimeout)
	for {
		var waiting int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT pid = ANY($1)
			AND wait_event_type = 'Lock'`, exceptPIDs).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends wait for a lock, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
