//go:build ha

package hatest

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	// deleteAfter is how long a worker keeps a user before reading back
	// what it wrote about it and deleting some of it: the users created in
	// the last deleteAfter before a failover are read back on the new
	// primary.
	deleteAfter time.Duration
	// validator, when not nil, validates every session before it is
	// revoked (a session cache, over a router over a standby), and
	// revocations checks that it stops serving it in time.
	validator   faultload.Validator
	revocations *faultload.Revocations

	mu       sync.Mutex
	users    []*userEntry
	acks     []ack          // acknowledged writes in the order they returned
	ackKinds map[string]int // acknowledged writes by kind, counted as they return
	failures []failure      // every call that lost its connection
	errKinds map[string]int
	problems []string // hangs and errors other than a lost connection
	slowest  time.Duration
	// slowestWhat is the slowest call, when it began and how it ended.
	slowestWhat string
	calls       atomic.Int64
}

// ack is an acknowledged write: which worker sent it, when, and when it
// returned.
type ack struct {
	worker         int
	sent, returned time.Time
}

// failure is a call that lost its connection, by worker, when it returned.
type failure struct {
	worker int
	at     time.Time
}

// readBack is what a read of an acknowledged create returned before the
// load deleted it.
type readBack int

const (
	notRead     readBack = iota // not read back: the create is still there, or was not acknowledged
	readFound                   // read back as written
	readMissing                 // read back and not found: a lost write
)

// userEntry is one user of the load and what each write about it returned.
type userEntry struct {
	id, keyID  string
	created    time.Time
	deleteUser bool  // DeleteUser is to be called when the user is retired
	setErr     error // SetUser with its primary key; nil: acknowledged
	ackedAt    time.Time
	read       readBack
	readAt     time.Time // when the read back returned
	sessions   []*sessionEntry
	deleted    bool  // DeleteUser was called
	deleteErr  error // nil: acknowledged
}

type sessionEntry struct {
	id        string
	setErr    error
	ackedAt   time.Time
	read      readBack
	readAt    time.Time
	deleted   bool
	deleteErr error
}

// backoff is how long a worker pauses after a call lost its connection,
// as a client that backs off would: it bounds the errors a worker can
// see in an outage (at most one per backoff, plus one).
const backoff = 20 * time.Millisecond

func newLedger(store *luciapg.Store, callTimeout, deleteAfter time.Duration) *ledger {
	return &ledger{store: store, callTimeout: callTimeout, deleteAfter: deleteAfter,
		ackKinds: map[string]int{}, errKinds: map[string]int{}}
}

// call runs one call with its own deadline. A write (kind not empty) that
// returns nil is acknowledged; any error must be a lost or refused
// connection, never a hang until the deadline. It returns when the call
// returned.
func (l *ledger) call(worker int, kind, what string, fn func(ctx context.Context) error) (time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.callTimeout)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	returned := time.Now()
	l.calls.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if took := returned.Sub(start); took > l.slowest {
		l.slowest, l.slowestWhat = took, fmt.Sprintf("%s at %s, %s", what, start.Format("15:04:05.000"), outcome(true, err))
	}
	switch {
	case err == nil:
		if kind != "" {
			l.acks = append(l.acks, ack{worker: worker, sent: start, returned: returned})
			l.ackKinds[kind]++
		}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		l.problems = append(l.problems, fmt.Sprintf("%s hung until its %s deadline: %v", what, l.callTimeout, err))
	case !faultload.ConnectionLost(err):
		l.problems = append(l.problems, fmt.Sprintf("%s: not a connection error: %v", what, err))
	default:
		l.failures = append(l.failures, failure{worker: worker, at: returned})
		l.errKinds[errorKind(err)]++
	}
	return returned, err
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

// run makes workers goroutines write until stop closes.
func (l *ledger) run(workers int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { l.work(w, "w", 0, stop) })
	}
	wg.Wait()
}

// work is one worker: each iteration creates a user with its key and two
// sessions, then retires the users created more than deleteAfter ago:
// reads back every acknowledged write about them, validates their first
// session through the validator, deletes that session (a revocation) and
// every third user with everything it has. It stops when stop closes or,
// with n > 0, after n iterations; the users not retired by then are read
// back by the audit. An iteration ends at its first failed call, and the
// worker then pauses for backoff.
func (l *ledger) work(w int, prefix string, n int, stop <-chan struct{}) {
	var pending []*userEntry
	for i := 0; n <= 0 || i < n; i++ {
		select {
		case <-stop:
			return
		default:
		}
		u, ok := l.create(w, fmt.Sprintf("%s%d_%05d", prefix, w, i), i%3 == 2)
		if u.setErr == nil {
			pending = append(pending, u)
		}
		for ok && len(pending) > 0 && time.Since(pending[0].created) >= l.deleteAfter {
			if ok = l.retire(w, pending[0]); ok {
				pending = pending[1:]
			}
		}
		if !ok {
			time.Sleep(backoff)
		}
	}
}

// create writes a user with its key and two sessions and reports whether
// every call succeeded.
func (l *ledger) create(w int, name string, deleteUser bool) (*userEntry, bool) {
	u := &userEntry{id: "u_" + name, keyID: "email:" + name, created: time.Now(), deleteUser: deleteUser}
	u.ackedAt, u.setErr = l.call(w, "SetUser", "SetUser", func(ctx context.Context) error {
		_, err := l.store.SetUser(ctx, luciapg.User{ID: u.id},
			&luciapg.Key{ID: u.keyID, PrimaryKey: true, HashedPassword: ptr("h")})
		return err
	})
	l.mu.Lock()
	l.users = append(l.users, u)
	l.mu.Unlock()
	if u.setErr != nil {
		return u, false
	}
	for j := range 2 {
		s := &sessionEntry{id: fmt.Sprintf("s_%s_%d", name, j)}
		s.ackedAt, s.setErr = l.call(w, "SetSession", "SetSession", func(ctx context.Context) error {
			return l.store.SetSession(ctx, luciapg.Session{ID: s.id, UserID: u.id, ActiveExpires: 1 << 50, IdleExpires: 1 << 51})
		})
		l.mu.Lock()
		u.sessions = append(u.sessions, s)
		l.mu.Unlock()
		if s.setErr != nil {
			return u, false
		}
	}
	return u, true
}

// retire reads back every acknowledged create of u on the primary, then
// deletes u's first session and, if u is one of every third, u itself. It
// reports whether every call succeeded; one that did not leaves u to be
// retired again (reads and deletes may be repeated).
func (l *ledger) retire(w int, u *userEntry) bool {
	if !l.readBack(w, u) {
		return false
	}
	if len(u.sessions) > 0 {
		first := u.sessions[0]
		if l.validator != nil && first.setErr == nil && !first.deleted {
			// Twice: the first read may miss and fill the cache, the
			// second finds the session there, so that the revocation
			// below has something to evict.
			for range 2 {
				if _, err := l.call(w, "", "Validate", func(ctx context.Context) error {
					_, _, err := l.validator.GetSessionAndUser(ctx, first.id)
					return err
				}); err != nil {
					return false
				}
			}
		}
		if !first.deleted || first.deleteErr != nil {
			at, err := l.call(w, "DeleteSession", "DeleteSession", func(ctx context.Context) error { return l.store.DeleteSession(ctx, first.id) })
			l.mu.Lock()
			first.deleted, first.deleteErr = true, err
			l.mu.Unlock()
			if err != nil {
				return false
			}
			if l.revocations != nil && first.setErr == nil {
				l.revocations.Revoked(first.id, at)
			}
		}
	}
	if u.deleteUser {
		_, err := l.call(w, "DeleteUser", "DeleteUser", func(ctx context.Context) error { return l.store.DeleteUser(ctx, u.id) })
		l.mu.Lock()
		u.deleted, u.deleteErr = true, err
		l.mu.Unlock()
		if err != nil {
			return false
		}
	}
	return true
}

// readBack reads u's acknowledged creates from the primary through the
// Store: its user and key, and each acknowledged session not yet deleted.
// It reports whether every read returned (found or not).
func (l *ledger) readBack(w int, u *userEntry) bool {
	found := func(err error, missing error) (readBack, error) {
		switch {
		case err == nil:
			return readFound, nil
		case errors.Is(err, missing):
			return readMissing, nil
		default:
			return notRead, err
		}
	}
	if u.deleted {
		// Read back already: only its DeleteUser is left to retry.
		return true
	}
	var user, key readBack
	var readAt time.Time
	if _, err := l.call(w, "", "GetUser", func(ctx context.Context) (err error) {
		_, err = l.store.GetUser(ctx, u.id)
		user, err = found(err, luciapg.ErrInvalidUserID)
		return err
	}); err != nil {
		return false
	}
	var err error
	if readAt, err = l.call(w, "", "GetKey", func(ctx context.Context) error {
		k, err := l.store.GetKey(ctx, u.keyID)
		if err == nil && k.UserID != u.id {
			err = luciapg.ErrInvalidKeyID
		}
		key, err = found(err, luciapg.ErrInvalidKeyID)
		return err
	}); err != nil {
		return false
	}
	l.mu.Lock()
	u.read, u.readAt = readFound, readAt
	if user == readMissing || key == readMissing {
		u.read = readMissing
	}
	l.mu.Unlock()
	for _, s := range u.sessions {
		if s.setErr != nil || s.deleted {
			continue
		}
		var r readBack
		at, err := l.call(w, "", "GetSession", func(ctx context.Context) error {
			_, err := l.store.GetSession(ctx, s.id)
			r, err = found(err, luciapg.ErrInvalidSessionID)
			return err
		})
		if err != nil {
			return false
		}
		l.mu.Lock()
		s.read, s.readAt = r, at
		l.mu.Unlock()
	}
	return true
}

func ptr[T any](v T) *T { return &v }

// acked is the number of acknowledged writes so far.
func (l *ledger) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// outage finds, for each worker, the longest stretch within [from, to]
// in which it had no write acknowledged, and returns how long after from
// it ended: when that worker's writes resumed. Writes acknowledged just
// after a kill do not end it: the killed postmaster's backends live on for
// a few milliseconds, until they notice its death, and may commit (on the
// synchronous standby too) meanwhile. A worker with no acknowledged write
// in [from, to] has none.
func (l *ledger) outage(workers int, from, to time.Time) (recovery []time.Duration, resumed time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for w := range workers {
		prev, longest, end := from, time.Duration(0), time.Time{}
		for _, a := range l.acks {
			if a.worker != w || a.returned.Before(from) {
				continue
			}
			if a.returned.After(to) {
				break
			}
			if gap := a.returned.Sub(prev); gap > longest {
				longest, end = gap, a.returned
			}
			prev = a.returned
		}
		if !end.IsZero() {
			recovery = append(recovery, end.Sub(from))
			if end.After(resumed) {
				resumed = end
			}
		}
	}
	return recovery, resumed
}

// failuresPerWorker counts, for each worker, the calls that lost their
// connection within [from, to].
func (l *ledger) failuresPerWorker(workers int, from, to time.Time) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := make([]int, workers)
	for _, f := range l.failures {
		if !f.at.Before(from) && !f.at.After(to) && f.worker < workers {
			n[f.worker]++
		}
	}
	return n
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

// writeKinds are the kinds of write the load makes, in report order.
var writeKinds = []string{"SetUser", "SetSession", "DeleteSession", "DeleteUser"}

// kindAudit is the audit of one kind of write.
type kindAudit struct {
	// Acked counts the acknowledged writes of this kind the audit found
	// in the ledger; Verified those whose effect a read saw after the ack:
	// ReadBack by the load's read before it deleted the row, AtAudit on
	// the final primary.
	Acked, Verified, ReadBack, AtAudit int
	// AckedBefore counts the acknowledged creates of this kind acked
	// before the pivot the audit was given (the kill), VerifiedAfter those
	// of them verified by a read after it; the others were read back and
	// deleted before it.
	AckedBefore, VerifiedAfter int
	// Lost are the acknowledged writes whose effect is not there.
	Lost []string
}

// audit is what the new primary holds compared with what the Store
// acknowledged.
type audit struct {
	Kinds  map[string]*kindAudit
	Broken []string // a user half there, or orphans: must be none
	// InDoubtCommitted counts writes that reported a connection error
	// although they committed (the client cannot tell; both outcomes are
	// allowed).
	InDoubtCommitted int
}

// audit checks every user of the load on db (the final primary). Every
// acknowledged create must have been seen by a read after its ack: either
// the load's read back before it deleted it, or this audit's, for the
// rows the load did not delete. So:
//   - an acknowledged SetUser or SetSession is verified when the load read
//     it back before deleting it, or when it is on db; a read back that
//     did not find it, or its absence from db without a delete, loses it;
//   - an acknowledged DeleteSession or DeleteUser is verified when db no
//     longer holds what it deleted;
//   - a failed SetUser left all or nothing, and no key or session anywhere
//     is without its user.
func (l *ledger) audit(ctx context.Context, db luciapg.DB, pivot time.Time) (audit, error) {
	l.mu.Lock()
	users := append([]*userEntry(nil), l.users...)
	l.mu.Unlock()
	a := audit{Kinds: map[string]*kindAudit{}}
	for _, kind := range writeKinds {
		a.Kinds[kind] = &kindAudit{}
	}
	lost := func(kind, format string, args ...any) {
		a.Kinds[kind].Lost = append(a.Kinds[kind].Lost, fmt.Sprintf(kind+" "+format, args...))
	}
	// verified counts a verified write; ackedAt and readAt are zero for
	// deletes, and readAt for a create the audit read.
	verified := func(kind string, ackedAt, readAt time.Time) {
		k := a.Kinds[kind]
		k.Verified++
		if readAt.IsZero() {
			k.AtAudit++
		} else {
			k.ReadBack++
		}
		if !ackedAt.IsZero() && ackedAt.Before(pivot) {
			k.AckedBefore++
			if readAt.IsZero() || readAt.After(pivot) {
				k.VerifiedAfter++
			}
		}
	}
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
		if u.setErr == nil {
			a.Kinds["SetUser"].Acked++
			switch {
			case u.read == readMissing:
				lost("SetUser", "%s acknowledged, but a read before its delete did not find it", u.id)
			case whole:
				verified("SetUser", u.ackedAt, time.Time{})
			case u.read == readFound && u.deleted:
				verified("SetUser", u.ackedAt, u.readAt)
				if !userDeleted {
					a.InDoubtCommitted++ // a DeleteUser that failed committed
				}
			default:
				lost("SetUser", "%s acknowledged, but user %d key %d (read back: %v; DeleteUser: %s)",
					u.id, user, key, u.read == readFound, outcome(u.deleted, u.deleteErr))
			}
		} else if whole {
			a.InDoubtCommitted++
		}
		for j, s := range u.sessions {
			deletedByAck := (s.deleted && s.deleteErr == nil) || userDeleted
			if s.setErr == nil {
				a.Kinds["SetSession"].Acked++
				switch {
				case s.read == readMissing:
					lost("SetSession", "#%d of user %s acknowledged, but a read before its delete did not find it", j, u.id)
				case sessions[s.id]:
					verified("SetSession", s.ackedAt, time.Time{})
				case s.read == readFound && (s.deleted || u.deleted):
					verified("SetSession", s.ackedAt, s.readAt)
					if !deletedByAck {
						a.InDoubtCommitted++
					}
				default:
					lost("SetSession", "#%d of user %s acknowledged, but it is not there (read back: %v; its DeleteSession: %s; DeleteUser: %s)",
						j, u.id, s.read == readFound, outcome(s.deleted, s.deleteErr), outcome(u.deleted, u.deleteErr))
				}
			} else if sessions[s.id] {
				a.InDoubtCommitted++
			}
			if s.deleted && s.deleteErr == nil {
				a.Kinds["DeleteSession"].Acked++
				if !sessions[s.id] {
					verified("DeleteSession", time.Time{}, time.Time{})
				} else {
					lost("DeleteSession", "#%d of user %s acknowledged, but the session is still there", j, u.id)
				}
			}
		}
		if userDeleted {
			a.Kinds["DeleteUser"].Acked++
			if gone {
				verified("DeleteUser", time.Time{}, time.Time{})
			} else {
				lost("DeleteUser", "%s acknowledged, but user %d key %d and %d sessions remain", u.id, user, key, len(sessions))
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

// lostTotal counts the lost writes of every kind.
func (a audit) lostTotal() int {
	n := 0
	for _, k := range a.Kinds {
		n += len(k.Lost)
	}
	return n
}

// ackedKinds is a copy of the acknowledged writes by kind, as counted when
// each returned: what the audit's tally must match.
func (l *ledger) ackedKinds() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.ackKinds)
}
