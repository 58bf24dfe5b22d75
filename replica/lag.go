package replica

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// standbyLag tells whether a connection of the standby pool may serve a
// read: it must be shown, on that very connection, to be a standby
// replaying this primary's WAL and to be fresh.
//
// Freshness is a point in time: a standby is known to have replayed
// everything the primary committed before t once its replay position R has
// reached the primary's WAL insert position P read after noting t. A
// transaction is acknowledged only after its commit record is inserted, so
// its position is below any P read later. Every CheckInterval, check
// samples P; a read is served by a standby connection only when the R that
// connection reports, just before the read, has reached a sample taken less
// than MaxLag ago. Positions rather than pg_last_xact_replay_timestamp()
// keep an idle primary from looking like a lagging standby, and need no
// table of luciapg's own nor any write on the primary.
//
// Positions of two WAL streams mean nothing to each other, so a position
// counts only from a connection that is replaying this primary's stream:
// see standbyLag.verify. The lag measured on one connection says nothing
// about another (a load-balanced endpoint in front of several servers), so
// the verdict is per connection and per read.
type standbyLag struct {
	primary, standby *pgxpool.Pool
	base             time.Time // monotonic origin of the nanosecond counts below
	maxLag           int64     // nanoseconds

	mu   sync.Mutex                // serialises writers of positions
	last atomic.Pointer[positions] // nil before the first sample

	// freshAt is when (nanoseconds since base) the newest state known to be
	// on the standby, as the last check found it, was current on the
	// primary; 0 before the first check that found a usable standby.
	freshAt atomic.Int64
	// qualified says the last check's connection was a standby of this
	// primary, or the primary itself.
	qualified atomic.Bool
	// downUntil is when (nanoseconds since base) a standby that failed may
	// be tried again.
	downUntil atomic.Int64
}

// primaryID is what tells one server of a cluster from another: the
// system identifier (shared by every copy of one initdb: its standbys and
// their promoted copies), the postmaster's start time (its own) and the
// timeline (a promotion starts a new one).
type primaryID struct {
	sysid   int64
	started time.Time
	tli     int32
}

// positions is an immutable snapshot of the primary's identity and of its
// WAL positions sampled within the last MaxLag, oldest first.
type positions struct {
	id      primaryID
	samples []lsnSample
}

// lsnSample is the primary's WAL position at a moment.
type lsnSample struct {
	at  int64 // nanoseconds since base
	lsn int64
}

// maxSamples bounds the positions kept (a CheckInterval far below MaxLag).
// Dropping the oldest can only make a standby look staler than it is,
// never fresher.
const maxSamples = 1024

// walPageHeaderMax is the size of the longest WAL page header (the long
// header that opens a segment, MAXALIGNed on a 64-bit server). An insert
// position this close to a page's start means nothing has been written on
// the page yet, or only the tail of a record begun on the page before.
const walPageHeaderMax = 40

// reachable returns the position a standby that has replayed everything
// up to lsn reports. pg_current_wal_insert_lsn() skips the header of the
// page the next record will go on, while pg_last_wal_replay_lsn() is where
// the last replayed record ended: after pg_switch_wal() on an idle
// primary, the page boundary. So a position just past a page header counts
// as that page's start. That is sound: no record both starts and ends
// within walPageHeaderMax bytes of a page's start (a record's header alone
// is 24 bytes, after a header of 24 or 40), so a replay position at or past
// the page start is past every record below lsn.
func reachable(lsn, blockSize int64) int64 {
	if blockSize <= 0 {
		return lsn
	}
	if off := lsn % blockSize; off > 0 && off <= walPageHeaderMax {
		return lsn - off
	}
	return lsn
}

// reached returns the time of the newest sample that replay has reached,
// or -1.
func (p *positions) reached(replay int64) int64 {
	// LSNs of one stream only grow, so the samples reached are a prefix.
	i := sort.Search(len(p.samples), func(i int) bool { return p.samples[i].lsn > replay })
	if i == 0 {
		return -1
	}
	return p.samples[i-1].at
}

// fresh reports whether replay has reached a sample taken after since.
func (p *positions) fresh(replay, since int64) bool {
	// The oldest sample after since has the lowest position of those.
	i := sort.Search(len(p.samples), func(i int) bool { return p.samples[i].at > since })
	return i < len(p.samples) && p.samples[i].lsn <= replay
}

// The primary's identity and position, read on the primary. The timeline
// is the first 8 hex digits of the current WAL file's name, exact on a
// primary (pg_control_checkpoint's lags until the next checkpoint).
const primarySQL = `SELECT s.system_identifier, pg_postmaster_start_time(),
	('x' || substr(pg_walfile_name(l.lsn), 1, 8))::bit(32)::int4,
	(l.lsn - '0/0'::pg_lsn)::int8, current_setting('wal_block_size')::int8
FROM pg_control_system() s, (SELECT pg_current_wal_insert_lsn() AS lsn) l`

// now returns the time since base, from the monotonic clock.
func (l *standbyLag) now() int64 { return int64(time.Since(l.base)) }

// sample reads the primary's identity and position and adds it to the
// snapshot; a new identity (a failover: the primary pool reaches another
// server) starts the samples afresh.
func (l *standbyLag) sample(ctx context.Context) error {
	at := l.now()
	var (
		id             primaryID
		lsn, blockSize int64
	)
	if err := l.primary.QueryRow(ctx, primarySQL).Scan(&id.sysid, &id.started, &id.tli, &lsn, &blockSize); err != nil {
		return err
	}
	l.add(id, lsnSample{at: at, lsn: reachable(lsn, blockSize)})
	return nil
}

// add publishes a snapshot with s added and the samples older than MaxLag
// dropped (keeping the newest).
func (l *standbyLag) add(id primaryID, s lsnSample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := &positions{id: id}
	if prev := l.last.Load(); prev != nil && prev.id == id {
		since := s.at - l.maxLag
		for _, old := range prev.samples {
			// A sample whose position exceeds a later one's (never, on one
			// stream) is dropped: the positions must stay in order.
			if old.at > since && old.lsn <= s.lsn {
				next.samples = append(next.samples, old)
			}
		}
	}
	next.samples = append(next.samples, s)
	if n := len(next.samples); n > maxSamples {
		next.samples = next.samples[n-maxSamples:]
	}
	l.last.Store(next)
}

// check samples the primary, then verifies a connection of the standby
// pool as a read would, for Stats and to keep reads off a standby known
// unusable. An error (the primary or the standby failing) leaves freshAt
// where it was, so a standby that cannot be measured turns stale by
// itself.
func (l *standbyLag) check(ctx context.Context) error {
	if err := l.sample(ctx); err != nil {
		return err
	}
	conn, err := l.standby.Acquire(ctx)
	if err != nil {
		return err
	}
	v, err := l.verify(ctx, conn)
	v.release(conn)
	if err != nil {
		return err
	}
	l.qualified.Store(v.replaying)
	if v.replaying {
		if at := v.freshAs; at > l.freshAt.Load() {
			l.freshAt.Store(at)
		}
	}
	return nil
}

// staleness returns how old the newest state known to be on the standby
// is, or false before the first check that found a standby of this
// primary.
func (l *standbyLag) staleness() (time.Duration, bool) {
	fresh := l.freshAt.Load()
	if fresh == 0 {
		return 0, false
	}
	return time.Duration(l.now() - fresh), true
}

// usable reports whether reads should try the standby now: the last check
// found a standby of this primary (or the primary itself) less than maxLag
// behind, and it is not resting after a failure. Each read still verifies
// its own connection.
func (l *standbyLag) usable(maxLag time.Duration) bool {
	stale, ok := l.staleness()
	return ok && l.qualified.Load() && stale < maxLag && l.now() >= l.downUntil.Load()
}

// markDown rests the standby for d after a failure.
func (l *standbyLag) markDown(d time.Duration) {
	l.downUntil.Store(l.now() + int64(d))
}
