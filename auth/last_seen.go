package auth

import (
	"cmp"
	"context"
	"hash/maphash"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luciapg/luciapg"
)

// Recording a session's last use (Config.LastSeenInterval) costs a
// validation no round trip: the use is marked in memory, at most once per
// interval per session, and a background write stores the marks in
// batches (RecordSessionsSeen). No goroutine lives on for it: a timer
// starts one flush when marks wait, and a flush that succeeded starts the
// next if more came meanwhile.
const (
	// lastSeenShards splits the marks so that concurrent validations
	// rarely wait for one another's lock.
	lastSeenShards = 64
	// maxPendingPerShard bounds the marks waiting for a write (64 × 512 in
	// all): past it a use is not marked, and the session's next use tries
	// again.
	maxPendingPerShard = 512
	// maxLastSeenFlushDelay is the longest a mark waits for its write.
	maxLastSeenFlushDelay = 10 * time.Second
	// lastSeenBatch is the most marks one RecordSessionsSeen call writes.
	lastSeenBatch = 1000
	// lastSeenFlushTimeout bounds a background flush.
	lastSeenFlushTimeout = 30 * time.Second
)

// lastSeen is an Auth's record of its sessions' uses.
type lastSeen struct {
	// adapter writes the marks: the one New was given (never a
	// transaction's, which WithAdapter makes), nil when it is no
	// luciapg.DeviceAdapter (then nothing is marked).
	adapter    luciapg.DeviceAdapter
	intervalMs int64
	flushDelay time.Duration
	now        func() time.Time
	seed       maphash.Seed
	// recent answers most validations without a lock or a write to
	// shared memory (see recentMarks); shards hold the truth.
	recent *recentMarks
	shards [lastSeenShards]lastSeenShard
	// flushing is held by a flush: one at a time.
	flushing sync.Mutex
	// scheduled is set while a background flush is due or running.
	scheduled atomic.Bool
}

type lastSeenShard struct {
	mu sync.Mutex
	// marked holds, per session id, the time (ms) of its last use marked;
	// entries older than the interval are pruned at each flush.
	marked map[string]int64
	// pending are the marks not written yet.
	pending []luciapg.SessionSeen
	// Keep shards on separate cache lines.
	_ [64]byte
}

func newLastSeen(adapter luciapg.ThrottlingAdapter, interval time.Duration, now func() time.Time) *lastSeen {
	l := &lastSeen{
		intervalMs: interval.Milliseconds(),
		flushDelay: min(interval, maxLastSeenFlushDelay),
		now:        now,
		seed:       maphash.MakeSeed(),
	}
	if da, ok := adapter.(luciapg.DeviceAdapter); ok {
		l.adapter = da
		l.recent = newRecentMarks(now().UnixMilli())
	}
	for i := range l.shards {
		l.shards[i].marked = make(map[string]int64)
	}
	return l
}

func (l *lastSeen) shard(sessionID string) *lastSeenShard {
	return l.shardOf(maphash.String(l.seed, sessionID))
}

func (l *lastSeen) shardOf(hash uint64) *lastSeenShard {
	return &l.shards[hash%lastSeenShards]
}

// mark records a use of the session at nowMillis, unless one was marked
// within the interval. Most calls are of that kind, and recentMarks
// answers them with a hash and two atomic loads: no lock, no write, no
// allocation. A profile of the session cache's benchmark showed the lock
// and the string-keyed map lookup it replaces costing half as much as the
// cache's own lookup. The rest takes the shard's lock, whose map decides.
// ctx is the validation's: a flush it schedules keeps its values, not its
// end.
func (l *lastSeen) mark(ctx context.Context, sessionID string, nowMillis int64) {
	if l.adapter == nil {
		return
	}
	hash := maphash.String(l.seed, sessionID)
	if l.recent.seen(hash, nowMillis, l.intervalMs) {
		return
	}
	sh := l.shardOf(hash)
	sh.mu.Lock()
	last, known := sh.marked[sessionID]
	if known && nowMillis-last < l.intervalMs && nowMillis >= last {
		sh.mu.Unlock()
		l.recent.remember(hash, last)
		return
	}
	if len(sh.pending) >= maxPendingPerShard {
		sh.mu.Unlock()
		return
	}
	if !known {
		// The id may be a slice of the request's Cookie header: keep a
		// copy of its own, not the header.
		sessionID = strings.Clone(sessionID)
	}
	sh.marked[sessionID] = nowMillis
	sh.pending = append(sh.pending, luciapg.SessionSeen{SessionID: sessionID, At: time.UnixMilli(nowMillis)})
	sh.mu.Unlock()
	l.recent.remember(hash, nowMillis)
	l.schedule(ctx)
}

// lastUse returns the last use marked in memory for the session, for
// ListSessions to show a use not written yet.
func (l *lastSeen) lastUse(sessionID string) (time.Time, bool) {
	sh := l.shard(sessionID)
	sh.mu.Lock()
	last, ok := sh.marked[sessionID]
	sh.mu.Unlock()
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(last), true
}

// schedule starts a flush after flushDelay unless one is due already.
func (l *lastSeen) schedule(ctx context.Context) {
	if !l.scheduled.CompareAndSwap(false, true) {
		return
	}
	detached := context.WithoutCancel(ctx)
	time.AfterFunc(l.flushDelay, func() { l.flushInBackground(detached) })
}

// flushInBackground writes the pending marks and, when marks came
// meanwhile, schedules the next flush. A failure is logged, and its marks
// wait (within the bound) for the flush the next mark schedules, or
// FlushLastSeen: a database that is down, or a pool closed for good, is
// not retried in a loop of its own.
func (l *lastSeen) flushInBackground(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, lastSeenFlushTimeout)
	err := l.flush(fctx)
	cancel()
	l.scheduled.Store(false)
	if err != nil {
		slog.ErrorContext(ctx, "auth: writing sessions' last use failed", slog.Any("error", err))
		return
	}
	if l.hasPending() {
		l.schedule(ctx)
	}
}

func (l *lastSeen) hasPending() bool {
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n := len(sh.pending)
		sh.mu.Unlock()
		if n > 0 {
			return true
		}
	}
	return false
}

// flush writes every pending mark, a batch at a time, and forgets the
// marks older than the interval. On a failure the marks not written go
// back to wait for the next flush, as far as the bound allows.
func (l *lastSeen) flush(ctx context.Context) error {
	if l.adapter == nil {
		return nil
	}
	l.flushing.Lock()
	defer l.flushing.Unlock()
	oldest := l.now().UnixMilli() - l.intervalMs
	var seen []luciapg.SessionSeen
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		seen = append(seen, sh.pending...)
		sh.pending = sh.pending[:0]
		for id, last := range sh.marked {
			if last <= oldest {
				delete(sh.marked, id)
			}
		}
		sh.mu.Unlock()
	}
	seen = latestPerSession(seen)
	for len(seen) > 0 {
		batch := seen[:min(len(seen), lastSeenBatch)]
		if err := l.adapter.RecordSessionsSeen(ctx, batch); err != nil {
			l.requeue(seen)
			return err
		}
		seen = seen[len(batch):]
	}
	return nil
}

// latestPerSession keeps one mark per session, its latest: a mark put
// back after a failed write may meet a newer one.
func latestPerSession(seen []luciapg.SessionSeen) []luciapg.SessionSeen {
	slices.SortFunc(seen, func(x, y luciapg.SessionSeen) int {
		return cmp.Or(strings.Compare(x.SessionID, y.SessionID), y.At.Compare(x.At))
	})
	return slices.CompactFunc(seen, func(x, y luciapg.SessionSeen) bool { return x.SessionID == y.SessionID })
}

// requeue puts marks back to wait, each in its shard, as far as the bound
// allows.
func (l *lastSeen) requeue(seen []luciapg.SessionSeen) {
	for _, s := range seen {
		sh := l.shard(s.SessionID)
		sh.mu.Lock()
		if len(sh.pending) < maxPendingPerShard {
			sh.pending = append(sh.pending, s)
		}
		sh.mu.Unlock()
	}
}

// FlushLastSeen writes the last uses recorded since the last write now,
// and waits for it: for a graceful shutdown, and tests. Validations record
// uses in memory; they are otherwise written in the background, at most
// once per Config.LastSeenInterval per session, through the adapter New
// was given. With an adapter that is no luciapg.DeviceAdapter nothing is
// recorded, and it returns nil.
func (a *Auth) FlushLastSeen(ctx context.Context) error {
	return a.lastSeen.flush(ctx)
}
