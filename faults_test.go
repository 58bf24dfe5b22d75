package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
)

// The fault test's load: faultWorkers goroutines share a pool of
// faultPoolSize connections while every backend of the test database is
// terminated faultKillRounds times, each round after faultOpsPerRound more
// calls have returned.
const (
	faultWorkers      = 6
	faultPoolSize     = 6
	faultKillRounds   = 12
	faultOpsPerRound  = 15
	faultRecoveryRuns = 8 // iterations per worker after the kills stop
)

// createdUser is one SetUser of the load, with what it and a later
// DeleteUser returned.
type createdUser struct {
	id, keyID string
	setErr    error
	deleted   bool  // DeleteUser was called
	deleteErr error // and returned this
}

// faultLoad runs the mixed load and keeps the ledger the audit checks.
type faultLoad struct {
	store  *luciapg.Store
	calls  atomic.Int64
	tick   chan struct{} // a call returned
	mu     sync.Mutex
	ledger []*createdUser
	errors map[string]int // unexpected-looking errors are failures; these are tallied
}

// call runs one Store call with its own deadline and classifies its error.
func (l *faultLoad) call(t *testing.T, what string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), reliabilityTimeout)
	defer cancel()
	err := fn(ctx)
	l.calls.Add(1)
	select {
	case l.tick <- struct{}{}:
	default:
	}
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		t.Errorf("%s hung until its deadline: %v", what, err)
	case !connectionLost(err):
		t.Errorf("%s: unexpected error %v", what, err)
	default:
		l.mu.Lock()
		l.errors[errorClass(err)]++
		l.mu.Unlock()
	}
	return err
}

// connectionLost reports whether err is the loss of the connection: the
// FATAL a terminated backend sends, or an error of the connection itself
// (no answer from the server at all). A statement whose connection was lost
// after it committed may be reported as failed; no client can tell.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Severity == "FATAL"
	}
	return true
}

// errorClass is an error's text without ids, for a short tally.
func errorClass(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Severity + " " + pgErr.Code
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// iterate is one worker iteration: create a user with a key, give it a
// session, read it back in several ways, and delete every third user.
func (l *faultLoad) iterate(t *testing.T, worker, i int) {
	u := &createdUser{id: fmt.Sprintf("w%d_%03d_%s", worker, i, randomText(6))}
	u.keyID = "email:" + u.id
	u.setErr = l.call(t, "SetUser", func(ctx context.Context) error {
		_, err := l.store.SetUser(ctx, luciapg.User{ID: u.id, Attributes: map[string]any{"nickname": "n"}},
			&luciapg.Key{ID: u.keyID, PrimaryKey: true, HashedPassword: pointerTo("h")})
		return err
	})
	l.mu.Lock()
	l.ledger = append(l.ledger, u)
	l.mu.Unlock()
	if u.setErr != nil {
		return
	}
	session := luciapg.Session{ID: "s_" + u.id, UserID: u.id, ActiveExpires: 1, IdleExpires: 2}
	_ = l.call(t, "SetSession", func(ctx context.Context) error { return l.store.SetSession(ctx, session) })
	_ = l.call(t, "GetSessionAndUser", func(ctx context.Context) error {
		_, _, err := l.store.GetSessionAndUser(ctx, session.ID)
		if errors.Is(err, luciapg.ErrInvalidSessionID) {
			return nil // SetSession may have failed
		}
		return err
	})
	_ = l.call(t, "GetKeysByUserID", func(ctx context.Context) error {
		_, err := l.store.GetKeysByUserID(ctx, u.id)
		return err
	})
	if i%3 == 0 {
		u.deleted = true
		u.deleteErr = l.call(t, "DeleteUser", func(ctx context.Context) error { return l.store.DeleteUser(ctx, u.id) })
	}
}

// TestTerminatedBackendsUnderLoad kills the Store's backends again and
// again under a mixed concurrent load. Every call returns (no hang); every
// error is a lost connection; afterwards the data is audited against what
// each call returned; and the same Store, not rebuilt, works again.
func TestTerminatedBackendsUnderLoad(t *testing.T) {
	t.Parallel()
	store, pool, url := newReliabilityStore(t, faultPoolSize)
	load := &faultLoad{store: store, tick: make(chan struct{}, 1), errors: map[string]int{}}

	killer, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(context.Background())

	stop := make(chan struct{})
	var workers sync.WaitGroup
	for w := range faultWorkers {
		workers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				load.iterate(t, w, i)
			}
		})
	}
	terminated := 0
	for range faultKillRounds {
		for target := load.calls.Load() + faultOpsPerRound; load.calls.Load() < target; {
			<-load.tick
		}
		terminated += terminateBackends(t, killer)
	}
	close(stop)
	workers.Wait()
	killed := len(load.ledger)
	t.Logf("kill phase: %d calls, %d users, %d backends terminated, lost connections: %v",
		load.calls.Load(), killed, terminated, load.errors)
	if terminated < faultKillRounds {
		t.Errorf("only %d backends terminated in %d rounds: the load was not using the pool", terminated, faultKillRounds)
	}

	// The same Store, after the kills: each dead connection left in the
	// pool costs at most one failed call before pgxpool drops it.
	lostBefore := sumTally(load.errors)
	for w := range faultWorkers {
		workers.Go(func() {
			for i := range faultRecoveryRuns {
				load.iterate(t, w, 1000+i)
			}
		})
	}
	workers.Wait()
	if lost := sumTally(load.errors) - lostBefore; lost > faultPoolSize {
		t.Errorf("after the kills, %d calls lost their connection; want at most one per pooled connection (%d)", lost, faultPoolSize)
	}
	wantPoolWorks(t, store)

	auditLedger(t, pool, load.ledger)
	wantNoOrphans(t, pool)
}

// terminateBackends ends every client backend of the killer's database
// except its own — only this test's database, never another test's.
func terminateBackends(t *testing.T, killer *pgx.Conn) int {
	t.Helper()
	var n int
	err := killer.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
		FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	if err != nil {
		t.Fatalf("terminating backends: %v", err)
	}
	return n
}

func sumTally(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// auditLedger checks the rows against what each call returned:
//   - a successful SetUser left its user and key, unless a successful
//     DeleteUser removed both with the user's sessions;
//   - a SetUser refused by the server (an ERROR, not a lost connection)
//     left neither;
//   - any other outcome left all or nothing: never a user without its key,
//     or a key or session without its user.
func auditLedger(t *testing.T, db luciapg.DB, ledger []*createdUser) {
	t.Helper()
	ctx := callContext(t)
	var ambiguousCommitted int
	for _, u := range ledger {
		var user, key, sessions int
		err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM auth_user WHERE id = $1),
			(SELECT count(*) FROM auth_key WHERE id = $2 AND user_id = $1),
			(SELECT count(*) FROM auth_session WHERE user_id = $1)`, u.id, u.keyID).Scan(&user, &key, &sessions)
		if err != nil {
			t.Fatal(err)
		}
		present, absent := user == 1 && key == 1, user == 0 && key == 0 && sessions == 0
		switch {
		case !present && !absent:
			t.Errorf("user %s is half there: user %d, key %d, sessions %d (SetUser: %v, DeleteUser: %v)",
				u.id, user, key, sessions, u.setErr, u.deleteErr)
		case u.setErr == nil && u.deleted && u.deleteErr == nil && !absent:
			t.Errorf("user %s survived a successful DeleteUser", u.id)
		case u.setErr == nil && !u.deleted && !present:
			t.Errorf("user %s was created successfully but is gone", u.id)
		case u.setErr != nil && !connectionLost(u.setErr) && !absent:
			t.Errorf("user %s exists although SetUser failed with %v", u.id, u.setErr)
		case u.setErr != nil && present:
			ambiguousCommitted++
		}
	}
	t.Logf("audit: %d users checked; %d SetUser calls lost their connection after committing", len(ledger), ambiguousCommitted)
}
