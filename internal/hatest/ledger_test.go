//go:build ha

package hatest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/faultload"
)

// ledger runs the mixed write load on a Store and records every call's
// outcome, so that the audit can hold the new primary to each write the
// Store acknowledged.
type ledger struct {
	store       *luciapg.Store
	callTimeout time.Duration

	mu       sync.Mutex
	users    []*userEntry
	acks     []ack // acknowledged writes in the order they returned
	errKinds map[string]int
	problems []string // hangs and errors other than a lost connection
	slowest  time.Duration
	calls    atomic.Int64
}

// ack is when an acknowledged write was sent and when it returned.
type ack struct{ sent, returned time.Time }

// userEntry is one user of the load and what each write about it returned.
type userEntry struct {
	id, keyID string
	setErr    error // SetUser with its primary key; nil: acknowledged
	sessions  []*sessionEntry
	deleted   bool  // DeleteUser was called
	deleteErr error // nil: acknowledged
}

type sessionEntry struct {
	id        string
	setErr    error
	deleted   bool
	deleteErr error
}

func newLedger(store *luciapg.Store, callTimeout time.Duration) *ledger {
	return &ledger{store: store, callTimeout: callTimeout, errKinds: map[string]int{}}
}

// call runs one write with its own deadline. A write that returns nil is
// acknowledged; any error must be a lost or refused connection, never a
// hang until the deadline.
func (l *ledger) call(what string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.callTimeout)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	took := time.Since(start)
	l.calls.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.slowest = max(l.slowest, took)
	switch {
	case err == nil:
		l.acks = append(l.acks, ack{sent: start, returned: time.Now()})
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		l.problems = append(l.problems, fmt.Sprintf("%s hung until its %s deadline: %v", what, l.callTimeout, err))
	case !faultload.ConnectionLost(err):
		l.problems = append(l.problems, fmt.Sprintf("%s: not a connection error: %v", what, err))
	default:
		l.errKinds[errorKind(err)]++
	}
	return err
}

// errorKind names an error for the tally: its SQLSTATE, or the end of its
// text with the port numbers of this run's servers left out.
func errorKind(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Severity + " " + pgErr.Code + " " + pgErr.Message
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	for _, word := range strings.Fields(s) {
		if strings.HasPrefix(word, "127.0.0.1:") {
			s = strings.ReplaceAll(s, word, "127.0.0.1:PORT")
		}
	}
	return s
}

// run makes workers goroutines write until stop closes: each creates a
// user with its key, opens two sessions, deletes one, and every third
// user is deleted with everything it has. A worker whose call failed
// pauses briefly, as a client that backs off would.
func (l *ledger) run(workers int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !l.iterate(fmt.Sprintf("w%d_%05d", w, i), i%3 == 2) {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}

// iterate reports whether every call succeeded.
func (l *ledger) iterate(name string, deleteUser bool) bool {
	u := &userEntry{id: "u_" + name, keyID: "email:" + name}
	u.setErr = l.call("SetUser", func(ctx context.Context) error {
		_, err := l.store.SetUser(ctx, luciapg.User{ID: u.id},
			&luciapg.Key{ID: u.keyID, PrimaryKey: true, HashedPassword: ptr("h")})
		return err
	})
	l.mu.Lock()
	l.users = append(l.users, u)
	l.mu.Unlock()
	if u.setErr != nil {
		return false
	}
	ok := true
	for j := range 2 {
		s := &sessionEntry{id: fmt.Sprintf("s_%s_%d", name, j)}
		s.setErr = l.call("SetSession", func(ctx context.Context) error {
			return l.store.SetSession(ctx, luciapg.Session{ID: s.id, UserID: u.id, ActiveExpires: 1 << 50, IdleExpires: 1 << 51})
		})
		ok = ok && s.setErr == nil
		l.mu.Lock()
		u.sessions = append(u.sessions, s)
		l.mu.Unlock()
	}
	first := u.sessions[0]
	err := l.call("DeleteSession", func(ctx context.Context) error { return l.store.DeleteSession(ctx, first.id) })
	l.mu.Lock()
	first.deleted, first.deleteErr = true, err
	l.mu.Unlock()
	ok = ok && err == nil
	if deleteUser {
		err := l.call("DeleteUser", func(ctx context.Context) error { return l.store.DeleteUser(ctx, u.id) })
		l.mu.Lock()
		u.deleted, u.deleteErr = true, err
		l.mu.Unlock()
		ok = ok && err == nil
	}
	return ok
}

func ptr[T any](v T) *T { return &v }

// acked is the number of acknowledged writes so far.
func (l *ledger) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// outage finds the longest stretch within [from, to] in which no write
// was acknowledged and returns when it ended: when writes resumed. Writes
// acknowledged just after a kill do not end it: the killed postmaster's
// backends live on for a few milliseconds, until they notice its death,
// and may commit (on the synchronous standby too) meanwhile.
func (l *ledger) outage(from, to time.Time) (resumed time.Time, longest time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev := from
	for _, a := range l.acks {
		if a.returned.Before(from) {
			continue
		}
		if a.returned.After(to) {
			break
		}
		if gap := a.returned.Sub(prev); gap > longest {
			longest, resumed = gap, a.returned
		}
		prev = a.returned
	}
	return resumed, longest
}

// firstAckSentAfter returns when the first acknowledged write that was
// sent after t returned, if one has. A write sent before t may have been
// answered before t even if it returns after: it says nothing about
// recovery.
func (l *ledger) firstAckSentAfter(t time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acks {
		if a.sent.After(t) {
			return a.returned, true
		}
	}
	return time.Time{}, false
}

// tally is the connection errors callers saw, "kind ×n", most frequent
// first.
func (l *ledger) tally() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := make([]string, 0, len(l.errKinds))
	for kind := range l.errKinds {
		kinds = append(kinds, kind)
	}
	sort.Slice(kinds, func(i, j int) bool { return l.errKinds[kinds[i]] > l.errKinds[kinds[j]] })
	out := make([]string, len(kinds))
	for i, kind := range kinds {
		out[i] = fmt.Sprintf("%d× %s", l.errKinds[kind], kind)
	}
	return out
}

func (l *ledger) errorCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.errKinds {
		n += v
	}
	return n
}

// audit is what the new primary holds compared with what the Store
// acknowledged.
type audit struct {
	Acknowledged map[string]int // acknowledged writes by kind
	Verified     int            // acknowledged writes whose effect is there
	Lost         []string       // acknowledged writes whose effect is not: must be none
	Broken       []string       // a user half there, or orphans: must be none
	// InDoubtCommitted counts writes that reported a connection error
	// although they committed (the client cannot tell; both outcomes are
	// allowed).
	InDoubtCommitted int
}

// audit checks every user of the load on db (the new primary):
//   - an acknowledged SetUser left its user and key, unless DeleteUser was
//     acknowledged, which removed user, key and sessions;
//   - an acknowledged SetSession left its session unless its DeleteSession
//     or its user's DeleteUser was acknowledged;
//   - an acknowledged DeleteSession or DeleteUser left nothing behind;
//   - a failed SetUser left all or nothing, and no key or session anywhere
//     is without its user.
func (l *ledger) audit(ctx context.Context, db luciapg.DB) (audit, error) {
	l.mu.Lock()
	users := append([]*userEntry(nil), l.users...)
	l.mu.Unlock()
	a := audit{Acknowledged: map[string]int{}}
	lost := func(format string, args ...any) { a.Lost = append(a.Lost, fmt.Sprintf(format, args...)) }
	for _, u := range users {
		var user, key int
		sessions := map[string]bool{}
		err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM auth_user WHERE id = $1),
			(SELECT count(*) FROM auth_key WHERE id = $2 AND user_id = $1)`, u.id, u.keyID).Scan(&user, &key)
		if err != nil {
			return a, err
		}
		rows, err := db.Query(ctx, `SELECT id FROM auth_session WHERE user_id = $1`, u.id)
		if err != nil {
			return a, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return a, err
			}
			sessions[id] = true
		}
		if err := rows.Err(); err != nil {
			return a, err
		}
		whole, gone := user == 1 && key == 1, user == 0 && key == 0 && len(sessions) == 0
		userDeleted := u.deleted && u.deleteErr == nil
		if !whole && !gone {
			a.Broken = append(a.Broken, fmt.Sprintf("user %s is half there: user %d, key %d, %d sessions", u.id, user, key, len(sessions)))
		}
		// A delete that failed with a lost connection may have committed:
		// after one, either state is right.
		userDeleteInDoubt := u.deleted && u.deleteErr != nil
		if u.setErr == nil {
			a.Acknowledged["SetUser"]++
			switch {
			case whole || userDeleted:
				a.Verified++
			case userDeleteInDoubt && gone:
				a.Verified++
				a.InDoubtCommitted++
			default:
				lost("SetUser %s acknowledged, but user %d key %d", u.id, user, key)
			}
		} else if whole {
			a.InDoubtCommitted++
		}
		for j, s := range u.sessions {
			sessionDeleteInDoubt := s.deleted && s.deleteErr != nil
			if s.setErr == nil {
				a.Acknowledged["SetSession"]++
				switch {
				case sessions[s.id] || userDeleted || (s.deleted && s.deleteErr == nil):
					a.Verified++
				case (sessionDeleteInDoubt || userDeleteInDoubt) && !sessions[s.id]:
					a.Verified++
					a.InDoubtCommitted++
				default:
					lost("SetSession #%d of user %s acknowledged, but it is not there (its DeleteSession: %v; DeleteUser: %v)",
						j, u.id, outcome(s.deleted, s.deleteErr), outcome(u.deleted, u.deleteErr))
				}
			} else if sessions[s.id] {
				a.InDoubtCommitted++
			}
			if s.deleted && s.deleteErr == nil {
				a.Acknowledged["DeleteSession"]++
				if !sessions[s.id] {
					a.Verified++
				} else {
					lost("DeleteSession #%d of user %s acknowledged, but the session is still there", j, u.id)
				}
			}
		}
		if userDeleted {
			a.Acknowledged["DeleteUser"]++
			if gone {
				a.Verified++
			} else {
				lost("DeleteUser %s acknowledged, but user %d key %d and %d sessions remain", u.id, user, key, len(sessions))
			}
		}
	}
	orphanSessions, orphanKeys, err := faultload.CountOrphans(ctx, db)
	if err != nil {
		return a, err
	}
	if orphanSessions != 0 || orphanKeys != 0 {
		a.Broken = append(a.Broken, fmt.Sprintf("%d sessions and %d keys without their user", orphanSessions, orphanKeys))
	}
	return a, nil
}

// outcome describes a write for an audit line: never its ids (a session
// id is a secret).
func outcome(called bool, err error) string {
	switch {
	case !called:
		return "not called"
	case err == nil:
		return "acknowledged"
	default:
		return "failed with " + errorKind(err)
	}
}

func (a audit) acknowledgedTotal() int {
	n := 0
	for _, v := range a.Acknowledged {
		n += v
	}
	return n
}
