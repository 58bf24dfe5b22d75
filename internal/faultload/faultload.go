// Package faultload is the mixed load that luciapg's fault test and its
// chaos program run while backends are killed or the server restarts:
// users created with keys, sessions added and read, every third user
// deleted. It keeps a ledger of what each call returned and audits the
// database against it afterwards.
package faultload

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
)

// Load runs the mixed load on a Store. The zero value is not usable; call
// New.
type Load struct {
	store       *luciapg.Store
	callTimeout time.Duration
	// Backoff is how long a worker pauses after a call lost its
	// connection, so that a load against a stopped server does not spin.
	Backoff time.Duration
	// Validator and Revocations, when both are set, put a session cache
	// in the loop: each iteration also opens a session, validates it
	// through Validator (so that the cache holds it), revokes it through
	// the Store, behind the cache's back, and hands the revocation to
	// Revocations, which checks that the cache stops serving it in time.
	Validator   Validator
	Revocations *Revocations

	calls atomic.Int64
	tick  chan struct{}

	mu       sync.Mutex
	ledger   []*createdUser
	lost     map[string]int
	problems []string
}

// createdUser is one SetUser of the load, with what it and a later
// DeleteUser returned.
type createdUser struct {
	id, keyID string
	setErr    error
	deleted   bool  // DeleteUser was called
	deleteErr error // and returned this
}

// New returns a Load on store whose every call has callTimeout to return.
func New(store *luciapg.Store, callTimeout time.Duration) *Load {
	return &Load{store: store, callTimeout: callTimeout, tick: make(chan struct{}, 1), lost: map[string]int{}}
}

// Run starts workers goroutines that iterate until stop is closed, and
// returns when all have finished. iterationsEach, when positive, stops each
// worker after that many iterations instead. Worker names are prefixed with
// phase so that runs never reuse an id.
func (l *Load) Run(phase string, workers, iterationsEach int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; iterationsEach <= 0 || i < iterationsEach; i++ {
				select {
				case <-stop:
					return
				default:
				}
				l.iterate(fmt.Sprintf("%s%d_%04d", phase, w, i))
			}
		})
	}
	wg.Wait()
}

// WaitForCalls blocks until at least n calls have returned in all.
func (l *Load) WaitForCalls(n int64) {
	for l.calls.Load() < n {
		<-l.tick
	}
}

// Calls is the number of calls that have returned.
func (l *Load) Calls() int64 { return l.calls.Load() }

// Users is the number of users the load has tried to create.
func (l *Load) Users() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ledger)
}

// Lost is the number of calls that lost their connection.
func (l *Load) Lost() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.lost {
		n += v
	}
	return n
}

// LostTally counts lost connections by kind, as "kind×n" in a stable order.
func (l *Load) LostTally() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	for kind, n := range l.lost {
		parts = append(parts, fmt.Sprintf("%s ×%d", kind, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Problems are the calls that hung until their deadline or failed with an
// error other than a lost connection.
func (l *Load) Problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.problems...)
}

// call runs one Store call with its own deadline and classifies its error.
func (l *Load) call(what string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.callTimeout)
	defer cancel()
	err := fn(ctx)
	l.calls.Add(1)
	select {
	case l.tick <- struct{}{}:
	default:
	}
	if err == nil {
		return nil
	}
	l.mu.Lock()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		l.problems = append(l.problems, fmt.Sprintf("%s hung until its deadline: %v", what, err))
	case !ConnectionLost(err):
		l.problems = append(l.problems, fmt.Sprintf("%s: unexpected error: %v", what, err))
	default:
		l.lost[errorKind(err)]++
	}
	l.mu.Unlock()
	if ConnectionLost(err) && l.Backoff > 0 {
		time.Sleep(l.Backoff)
	}
	return err
}

// ConnectionLost reports whether err is the loss of the connection: a
// FATAL from the server (a terminated backend, a shutdown) or an error of
// the connection itself, with no answer from the server. A statement whose
// connection was lost may have committed even though it reports failure;
// no client can tell.
func ConnectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Severity == "FATAL"
	}
	return err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, luciapg.ErrInvalidInput) && !isContractError(err)
}

func isContractError(err error) bool {
	var contractErr *luciapg.Error
	return errors.As(err, &contractErr)
}

// errorKind is an error's SQLSTATE, or the last part of its text, for a
// short tally.
func errorKind(err error) string {
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

// iterate creates a user with a key, gives it a session, reads it back in
// several ways, and deletes every third user.
func (l *Load) iterate(name string) {
	u := &createdUser{id: name}
	u.keyID = "email:" + u.id
	u.setErr = l.call("SetUser", func(ctx context.Context) error {
		_, err := l.store.SetUser(ctx, luciapg.User{ID: u.id},
			&luciapg.Key{ID: u.keyID, PrimaryKey: true, HashedPassword: ptr("h")})
		return err
	})
	l.mu.Lock()
	l.ledger = append(l.ledger, u)
	n := len(l.ledger)
	l.mu.Unlock()
	if u.setErr != nil {
		return
	}
	session := luciapg.Session{ID: "s_" + u.id, UserID: u.id, ActiveExpires: 1, IdleExpires: 2}
	_ = l.call("SetSession", func(ctx context.Context) error { return l.store.SetSession(ctx, session) })
	_ = l.call("GetSessionAndUser", func(ctx context.Context) error {
		_, _, err := l.store.GetSessionAndUser(ctx, session.ID)
		if errors.Is(err, luciapg.ErrInvalidSessionID) {
			return nil // SetSession may have lost its connection
		}
		return err
	})
	_ = l.call("GetKeysByUserID", func(ctx context.Context) error {
		_, err := l.store.GetKeysByUserID(ctx, u.id)
		return err
	})
	if l.Validator != nil && l.Revocations != nil {
		l.revoke(u.id)
	}
	if n%3 == 0 {
		u.deleted = true
		u.deleteErr = l.call("DeleteUser", func(ctx context.Context) error { return l.store.DeleteUser(ctx, u.id) })
	}
}

// revoke opens a session for userID, validates it twice through the
// Validator (the first read may miss and fill the cache, the second finds
// it there), then deletes it through the Store and, once that is
// acknowledged, hands it to Revocations.
func (l *Load) revoke(userID string) {
	session := luciapg.Session{ID: "r_" + userID, UserID: userID, ActiveExpires: 1 << 50, IdleExpires: 1 << 51}
	if l.call("SetSession", func(ctx context.Context) error { return l.store.SetSession(ctx, session) }) != nil {
		return
	}
	for range 2 {
		_ = l.call("Validate", func(ctx context.Context) error {
			_, _, err := l.Validator.GetSessionAndUser(ctx, session.ID)
			return err
		})
	}
	if l.call("DeleteSession", func(ctx context.Context) error { return l.store.DeleteSession(ctx, session.ID) }) == nil {
		l.Revocations.Revoked(session.ID, time.Now())
	}
}

func ptr[T any](v T) *T { return &v }

// Report is the result of an audit.
type Report struct {
	// Users is the number of users checked.
	Users int
	// LostAfterCommit counts SetUser calls that reported a lost connection
	// although their user and key were stored.
	LostAfterCommit int
	// Problems are the broken rules; none is the expected result.
	Problems []string
}

// Audit checks db against what each call returned:
//   - a successful SetUser left its user and key, unless a successful
//     DeleteUser removed both with the user's sessions;
//   - a SetUser refused by the server (an ERROR, not a lost connection)
//     left neither;
//   - any other outcome left all or nothing: never a user without its key;
//   - no session or key anywhere is without its user.
func (l *Load) Audit(ctx context.Context, db luciapg.DB) (Report, error) {
	l.mu.Lock()
	ledger := append([]*createdUser(nil), l.ledger...)
	l.mu.Unlock()
	r := Report{Users: len(ledger)}
	for _, u := range ledger {
		var user, key, sessions int
		err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM auth_user WHERE id = $1),
			(SELECT count(*) FROM auth_key WHERE id = $2 AND user_id = $1),
			(SELECT count(*) FROM auth_session WHERE user_id = $1)`, u.id, u.keyID).Scan(&user, &key, &sessions)
		if err != nil {
			return r, err
		}
		present, absent := user == 1 && key == 1, user == 0 && key == 0 && sessions == 0
		switch {
		case !present && !absent:
			r.Problems = append(r.Problems, fmt.Sprintf("user %s is half there: user %d, key %d, sessions %d (SetUser: %v, DeleteUser: %v)",
				u.id, user, key, sessions, u.setErr, u.deleteErr))
		case u.setErr == nil && u.deleted && u.deleteErr == nil && !absent:
			r.Problems = append(r.Problems, fmt.Sprintf("user %s survived a successful DeleteUser", u.id))
		case u.setErr == nil && !u.deleted && !present:
			r.Problems = append(r.Problems, fmt.Sprintf("user %s was created successfully but is gone", u.id))
		case u.setErr != nil && !ConnectionLost(u.setErr) && !absent:
			r.Problems = append(r.Problems, fmt.Sprintf("user %s exists although SetUser failed with %v", u.id, u.setErr))
		case u.setErr != nil && present:
			r.LostAfterCommit++
		}
	}
	orphanSessions, orphanKeys, err := CountOrphans(ctx, db)
	if err != nil {
		return r, err
	}
	if orphanSessions != 0 || orphanKeys != 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d sessions and %d keys without their user", orphanSessions, orphanKeys))
	}
	return r, nil
}

// CountOrphans counts the sessions and keys whose user does not exist: an
// audit's check that every user is whole, whatever the load was.
func CountOrphans(ctx context.Context, db luciapg.DB) (sessions, keys int, err error) {
	err = db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM auth_session s WHERE NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.id = s.user_id)),
		(SELECT count(*) FROM auth_key k WHERE NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.id = k.user_id))`).
		Scan(&sessions, &keys)
	return sessions, keys, err
}

// TerminateBackends ends every client backend connected to conn's database
// except conn's own. It returns how many it ended and how many of those
// were busy — running a statement or inside a transaction — rather than
// idle. It never touches another database's backends.
func TerminateBackends(ctx context.Context, conn *pgx.Conn) (ended, busy int, err error) {
	err = conn.QueryRow(ctx, `WITH victims AS (
			SELECT pid, state FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
		), ended AS (
			SELECT state, pg_terminate_backend(pid) AS ok FROM victims
		)
		SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE ok AND state <> 'idle') FROM ended`).Scan(&ended, &busy)
	return ended, busy, err
}
