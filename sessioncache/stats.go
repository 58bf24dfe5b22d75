package sessioncache

import (
	"sync/atomic"
	"time"
)

// counter is one statistic, updated without the cache's lock.
type counter = atomic.Uint64

// cacheCounters are a Cache's running totals.
type cacheCounters struct {
	bypassed, lagged, insertsRefused, reconnects, polls          counter
	evictedCapacity, evictedExpired, evictedLogged, evictedLocal counter
	evictedFlushed                                               counter
}

// Stats is a snapshot of a Cache's counters, which only
// grow, and of its state.
type Stats struct {
	// Hits are reads served from memory.
	Hits uint64
	// Misses are reads sent to the next adapter while serving: not cached,
	// expired, or cached without the user a GetSessionAndUser wants.
	Misses uint64
	// Bypassed are reads sent to the next adapter because the cache was not
	// serving from memory.
	Bypassed uint64
	// Lagged are reads sent to the next adapter because the change log's last
	// applied read began more than MaxLag ago.
	Lagged uint64
	// InsertsRefused are next adapter reads not cached because an invalidation
	// arrived while they ran (or the cache changed state).
	InsertsRefused uint64
	// Evictions counts entries dropped, by cause.
	Evictions Evictions
	// Reconnects counts the times the cache read the change log again
	// after it could not.
	Reconnects uint64
	// Polls counts the successful reads of the change log.
	Polls uint64
	// WakeupsSent counts the wake-ups this cache sent after revocations
	// through it (one covers those made while it was pending).
	WakeupsSent uint64
	// WakeupsReceived counts the reads of the change log begun before
	// their PollInterval because a cache sent a wake-up.
	WakeupsReceived uint64
	// Serving is true while reads may be served from memory, false while
	// every read goes to the next adapter (the change log cannot be read or its
	// reading lags by more than MaxLag, the cache has just started, or it
	// is closed).
	Serving bool
	// Entries is the number of cached sessions.
	Entries int
}

// Evictions counts evicted entries by cause.
type Evictions struct {
	// Capacity: an entry pushed out to stay within MaxEntries, the
	// oldest not read since its last chance.
	Capacity uint64
	// Expired: the session's active period or MaxStaleness ended.
	Expired uint64
	// Logged: the change log named the session or its user.
	Logged uint64
	// LocalWrite: a write through this cache changed the session or user.
	LocalWrite uint64
	// Flushed: the whole cache was dropped, because the change log could
	// not be read or could again, or a table was truncated.
	Flushed uint64
}

// Stats returns the counters and the state.
func (c *Cache) Stats() Stats {
	serving := c.serving.Load() && !c.lagging(int64(time.Since(c.start)))
	entries := c.entries()
	var hits, misses uint64
	for i := range c.shards {
		hits += c.shards[i].hits.Load()
		misses += c.shards[i].misses.Load()
	}
	s := &c.stats
	return Stats{
		Hits:           hits,
		Misses:         misses,
		Bypassed:       s.bypassed.Load(),
		Lagged:         s.lagged.Load(),
		InsertsRefused: s.insertsRefused.Load(),
		Evictions: Evictions{
			Capacity:   s.evictedCapacity.Load(),
			Expired:    s.evictedExpired.Load(),
			Logged:     s.evictedLogged.Load(),
			LocalWrite: s.evictedLocal.Load(),
			Flushed:    s.evictedFlushed.Load(),
		},
		Reconnects:      s.reconnects.Load(),
		Polls:           s.polls.Load(),
		WakeupsSent:     c.wakeups.sent.Load(),
		WakeupsReceived: c.wakeups.woken.Load(),
		Serving:         serving,
		Entries:         entries,
	}
}
