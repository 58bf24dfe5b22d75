package replica

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// standbyLag measures how far behind the primary a streaming replica is,
// as a point in time: the replica is known to have replayed everything the
// primary committed before freshAt. Each check reads the primary's WAL
// insert position P (after noting the time t), then the replica's replay
// position R; once R ≥ P, everything committed before t has reached the
// replica. A transaction is acknowledged only after its commit record is
// inserted, so its position is below any P read later.
//
// Measuring positions rather than pg_last_xact_replay_timestamp() keeps an
// idle primary from looking like a lagging replica, and needs no table of
// luciapg's own nor any write on the primary.
type standbyLag struct {
	primary, standby *pgxpool.Pool
	base             time.Time // monotonic origin of the nanosecond counts below

	mu      sync.Mutex
	samples []lsnSample // primary positions not yet known replayed, oldest first

	// freshAt is when (nanoseconds since base) the newest state known to be
	// on the replica was current on the primary; 0 before the first check.
	freshAt atomic.Int64
	// downUntil is when (nanoseconds since base) a replica that failed may
	// be tried again.
	downUntil atomic.Int64
}

// lsnSample is the primary's WAL position at a moment.
type lsnSample struct {
	at  int64 // nanoseconds since base
	lsn int64
}

// maxSamples bounds the positions kept while a replica is stuck. Dropping
// the oldest can only make the replica look staler than it is, never
// fresher.
const maxSamples = 1024

const (
	primaryPositionSQL = `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::int8`
	// On a server that is not in recovery — the primary itself, passed as
	// its own replica — the replay position is its insert position.
	replicaPositionSQL = `SELECT (coalesce(pg_last_wal_replay_lsn(), pg_current_wal_insert_lsn()) - '0/0'::pg_lsn)::int8`
)

// now returns the time since base, from the monotonic clock.
func (l *standbyLag) now() int64 { return int64(time.Since(l.base)) }

// check measures once; an error leaves freshAt where it was, so a replica
// that cannot be measured turns stale by itself.
func (l *standbyLag) check(ctx context.Context) error {
	at := l.now()
	var primaryLSN, replayLSN int64
	if err := l.primary.QueryRow(ctx, primaryPositionSQL).Scan(&primaryLSN); err != nil {
		return err
	}
	if err := l.standby.QueryRow(ctx, replicaPositionSQL).Scan(&replayLSN); err != nil {
		return err
	}
	l.record(lsnSample{at: at, lsn: primaryLSN}, replayLSN)
	return nil
}

// record adds sample and advances freshAt to the newest sample the replay
// position has reached.
func (l *standbyLag) record(sample lsnSample, replayLSN int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples = append(l.samples, sample)
	reached := -1
	for i, s := range l.samples {
		if s.lsn > replayLSN {
			break
		}
		reached = i
	}
	if reached >= 0 {
		if at := l.samples[reached].at; at > l.freshAt.Load() {
			l.freshAt.Store(at)
		}
		l.samples = append(l.samples[:0], l.samples[reached+1:]...)
	}
	if len(l.samples) > maxSamples {
		l.samples = append(l.samples[:0], l.samples[len(l.samples)-maxSamples:]...)
	}
}

// staleness returns how old the newest state known to be on the replica
// is, or false before the first successful check.
func (l *standbyLag) staleness() (time.Duration, bool) {
	fresh := l.freshAt.Load()
	if fresh == 0 {
		return 0, false
	}
	return time.Duration(l.now() - fresh), true
}

// usable reports whether the replica may serve a read now: measured, less
// than maxLag behind, and not resting after a failure.
func (l *standbyLag) usable(maxLag time.Duration) bool {
	stale, ok := l.staleness()
	return ok && stale < maxLag && l.now() >= l.downUntil.Load()
}

// markDown rests the replica for d after a failure.
func (l *standbyLag) markDown(d time.Duration) {
	l.downUntil.Store(l.now() + int64(d))
}
