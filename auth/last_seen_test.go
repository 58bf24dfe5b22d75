package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testclock"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// storedLastSeen is the session's LastSeenAt as the adapter holds it (not
// ListSessions, which also shows marks not written yet).
func storedLastSeen(t *testing.T, adapter luciapg.ThrottlingAdapter, userID, sessionID string) time.Time {
	t.Helper()
	list, err := deviceAdapter(t, adapter).GetUserSessionsMetadata(t.Context(), userID)
	wantNoErr(t, "GetUserSessionsMetadata", err)
	for _, s := range list {
		if s.Session.ID == sessionID {
			return s.LastSeenAt
		}
	}
	t.Fatal("the session is not in the user's list")
	return time.Time{}
}

// seenCounter counts the RecordSessionsSeen calls that reach the adapter
// it wraps.
type seenCounter struct {
	luciapg.ThrottlingAdapter
	luciapg.DeviceAdapter
	calls atomic.Int64
}

func newSeenCounter(t *testing.T, adapter luciapg.ThrottlingAdapter) *seenCounter {
	return &seenCounter{ThrottlingAdapter: adapter, DeviceAdapter: deviceAdapter(t, adapter)}
}

func (s *seenCounter) RecordSessionsSeen(ctx context.Context, seen []luciapg.SessionSeen) error {
	s.calls.Add(1)
	return s.DeviceAdapter.RecordSessionsSeen(ctx, seen)
}

// A session's use is written at most once per interval: the first use
// after a write is marked, later ones within the interval are not, and
// the first one past it is.
func TestLastSeenOncePerInterval(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		counter := newSeenCounter(t, adapter)
		c := newClock()
		a := mustAuth(auth.New(counter, auth.Config{Now: c.Now, LastSeenInterval: 5 * time.Minute}))
		ctx := t.Context()
		user := createUser(t, a)
		session, err := a.CreateSession(ctx, user.ID)
		wantNoErr(t, "CreateSession", err)
		if got := storedLastSeen(t, adapter, user.ID, session.ID); !got.IsZero() {
			t.Fatalf("a new session was last seen at %v, want never", got)
		}
		validate := func() {
			t.Helper()
			_, _, err := a.ValidateSessionUser(ctx, session.ID)
			wantNoErr(t, "ValidateSessionUser", err)
		}
		c.Advance(time.Minute)
		first := c.Now()
		validate()
		c.Advance(2 * time.Minute)
		validate() // within the interval: not marked
		wantNoErr(t, "FlushLastSeen", a.FlushLastSeen(ctx))
		if got := storedLastSeen(t, adapter, user.ID, session.ID); !got.Equal(first) {
			t.Fatalf("last seen %v, want the first use, %v", got, first)
		}
		calls := counter.calls.Load()
		wantNoErr(t, "FlushLastSeen with nothing to write", a.FlushLastSeen(ctx))
		if counter.calls.Load() != calls {
			t.Fatal("a flush with nothing marked called the adapter")
		}
		c.Advance(3 * time.Minute) // 5 minutes after the mark
		validate()
		wantNoErr(t, "FlushLastSeen", a.FlushLastSeen(ctx))
		if got := storedLastSeen(t, adapter, user.ID, session.ID); !got.Equal(c.Now()) {
			t.Fatalf("last seen %v, want the use past the interval, %v", got, c.Now())
		}
	})
}

// Without FlushLastSeen, the marks are written in the background.
func TestLastSeenWrittenInBackground(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		c := newClock()
		a := mustAuth(auth.New(adapter, auth.Config{Now: c.Now, LastSeenInterval: 20 * time.Millisecond}))
		ctx := t.Context()
		user := createUser(t, a)
		session, err := a.CreateSession(ctx, user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(time.Minute)
		_, err = a.ValidateSession(ctx, session.ID)
		wantNoErr(t, "ValidateSession", err)
		deadline := time.Now().Add(noticeDeadline)
		for !storedLastSeen(t, adapter, user.ID, session.ID).Equal(c.Now()) {
			if time.Now().After(deadline) {
				t.Fatalf("the use was not written within %v", noticeDeadline)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// Validations of an Auth that WithAdapter made (over a transaction, say)
// are written through the adapter New was given, which outlives it.
func TestLastSeenThroughTheAdapterNewWasGiven(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		original, other := newSeenCounter(t, adapter), newSeenCounter(t, adapter)
		c := newClock()
		a := mustAuth(auth.New(original, auth.Config{Now: c.Now}))
		ctx := t.Context()
		user := createUser(t, a)
		session, err := a.CreateSession(ctx, user.ID)
		wantNoErr(t, "CreateSession", err)
		_, err = a.WithAdapter(other).ValidateSession(ctx, session.ID)
		wantNoErr(t, "ValidateSession", err)
		wantNoErr(t, "FlushLastSeen", a.WithAdapter(other).FlushLastSeen(ctx))
		if original.calls.Load() != 1 || other.calls.Load() != 0 {
			t.Fatalf("RecordSessionsSeen calls: %d through New's adapter, %d through WithAdapter's; want 1 and 0", original.calls.Load(), other.calls.Load())
		}
		if got := storedLastSeen(t, adapter, user.ID, session.ID); !got.Equal(c.Now()) {
			t.Fatalf("last seen %v, want %v", got, c.Now())
		}
	})
}

// Marking a use allocates nothing once the session is marked for the
// interval: ValidateSessionUser allocates what its adapter call does, no
// more. Counted, not timed; not parallel (testing.AllocsPerRun counts the
// whole process's allocations).
func TestLastSeenMarkAllocatesNothing(t *testing.T) {
	adapter := backends[0].new(t) // memadapter: no network, its allocations are fixed
	a, _ := newAuth(adapter)
	ctx := t.Context()
	user := createUser(t, a)
	session, err := a.CreateSession(ctx, user.ID)
	wantNoErr(t, "CreateSession", err)
	_, _, err = a.ValidateSessionUser(ctx, session.ID) // marked
	wantNoErr(t, "ValidateSessionUser", err)
	adapterAllocs := testing.AllocsPerRun(100, func() { _, _, _ = adapter.GetSessionAndUser(ctx, session.ID) })
	authAllocs := testing.AllocsPerRun(100, func() { _, _, _ = a.ValidateSessionUser(ctx, session.ID) })
	if authAllocs != adapterAllocs {
		t.Fatalf("ValidateSessionUser allocates %v times, its adapter call %v: want the same", authAllocs, adapterAllocs)
	}
}

// gatedDB is a luciapg.DB over a pool that can be shut: once shut, every
// statement fails without reaching the server, and one made for a
// validation (its context carries validationMark) is counted. A Store on
// it shows whether a validation costs a round trip, even one whose
// failure it would hide.
type gatedDB struct {
	db       luciapg.DB
	shut     atomic.Bool
	attempts atomic.Int64
}

// validationMark marks the contexts of the validations a test watches.
type validationMark struct{}

var errGateShut = errors.New("the test shut the database connection")

// closed reports whether the gate is shut, counting a statement of a
// watched validation that it stops.
func (g *gatedDB) closed(ctx context.Context) bool {
	if !g.shut.Load() {
		return false
	}
	if ctx.Value(validationMark{}) != nil {
		g.attempts.Add(1)
	}
	return true
}

func (g *gatedDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if g.closed(ctx) {
		return pgconn.CommandTag{}, errGateShut
	}
	return g.db.Exec(ctx, sql, args...)
}

func (g *gatedDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if g.closed(ctx) {
		return nil, errGateShut
	}
	return g.db.Query(ctx, sql, args...)
}

func (g *gatedDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if g.closed(ctx) {
		return shutRow{}
	}
	return g.db.QueryRow(ctx, sql, args...)
}

func (g *gatedDB) Begin(ctx context.Context) (pgx.Tx, error) {
	if g.closed(ctx) {
		return nil, errGateShut
	}
	return g.db.Begin(ctx)
}

type shutRow struct{}

func (shutRow) Scan(...any) error { return errGateShut }

// With the session cache over the Store, a validation costs no round trip,
// its use included: with the Store's connection shut, validations still
// succeed and attempt no statement, and the use they mark is written once
// the connection is back. (A flush in the background, made from another
// context, may meet the shut gate: it is not the validation's.)
func TestLastSeenCostsNoRoundTripOverTheCache(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	gate := &gatedDB{db: testdb.Pool(t, url, 4)}
	store := luciapg.New(gate)
	cache, err := sessioncache.New(t.Context(), store, sessioncache.Config{ConnString: url})
	wantNoErr(t, "sessioncache.New", err)
	t.Cleanup(func() { _ = cache.Close() })
	// The cache serves a session until its active expiry by the real
	// clock: start the Auth's clock at the real time.
	c := testclock.New(time.Now().Truncate(time.Millisecond))
	a := mustAuth(auth.New(cache, auth.Config{Now: c.Now, LastSeenInterval: time.Hour}))
	ctx := t.Context()
	user := createUser(t, a)
	session, err := a.CreateSession(ctx, user.ID)
	wantNoErr(t, "CreateSession", err)
	// Validate until the cache serves the session from memory (it caches
	// a read once its change log has caught up with the session's insert).
	deadline := time.Now().Add(noticeDeadline)
	for hits := cache.Stats().Hits; cache.Stats().Hits == hits; {
		if time.Now().After(deadline) {
			t.Fatal("the cache served no validation from memory within the deadline")
		}
		_, _, err = a.ValidateSessionUser(ctx, session.ID)
		wantNoErr(t, "ValidateSessionUser", err)
		time.Sleep(10 * time.Millisecond)
	}

	gate.shut.Store(true)
	c.Advance(2 * time.Hour) // the next use is marked again
	used := c.Now()
	// A validation the cache serves from memory must succeed and attempt
	// nothing. One it does not serve (the cache stops serving while its
	// change log lags, as on a loaded machine) goes to the shut Store and
	// fails: that is the cache's rule, not a cost of the last use, so it
	// is left out of the count.
	watched := context.WithValue(ctx, validationMark{}, true)
	deadline = time.Now().Add(noticeDeadline)
	for served := 0; served < 100; {
		if time.Now().After(deadline) {
			t.Fatalf("%d validations served from memory within %v, want 100", served, noticeDeadline)
		}
		hits, attempts := cache.Stats().Hits, gate.attempts.Load()
		_, _, err := a.ValidateSessionUser(watched, session.ID)
		if cache.Stats().Hits == hits {
			continue
		}
		served++
		wantNoErr(t, "ValidateSessionUser served from memory with the Store's connection shut", err)
		if n := gate.attempts.Load() - attempts; n != 0 {
			t.Fatalf("a validation served from memory attempted %d statements, want none", n)
		}
	}
	gate.shut.Store(false)
	wantNoErr(t, "FlushLastSeen", a.FlushLastSeen(ctx))
	list, err := deviceAdapter(t, store).GetUserSessionsMetadata(ctx, user.ID)
	wantNoErr(t, "GetUserSessionsMetadata", err)
	if len(list) != 1 || !list[0].LastSeenAt.Equal(used) {
		t.Fatalf("stored metadata %+v, want last seen %v", list, used)
	}
}
