package sessioncache

import "sync"

// recentChanges remembers, for as long as the next adapter's reads may lag
// (its MaxStaleness), when each session and user was last invalidated and
// when the cache was last flushed. The epoch check refuses a read that
// raced an invalidation; a next adapter reading from behind, such as a
// standby, can return the old row even to a read that began after the
// invalidation, and this refuses those too. It is used only on the miss
// path, and only when the next adapter is a luciapg.StaleReader.
type recentChanges struct {
	mu sync.Mutex
	// at maps a key to its last invalidation, in nanoseconds since the
	// cache's start; order lists the same invalidations oldest first, so
	// those older than the staleness bound can be forgotten.
	at      map[cacheKey]int64
	order   []keyedTime
	flushAt int64 // the last flush; 0 before any
}

type keyedTime struct {
	key cacheKey
	at  int64
}

// changed records an invalidation of key at now, and forgets those older
// than staleness.
func (r *recentChanges) changed(key cacheKey, now, staleness int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = make(map[cacheKey]int64)
	}
	r.at[key] = now
	r.order = append(r.order, keyedTime{key, now})
	r.forget(now - staleness)
}

// flushed records a flush at now: every read that began before now plus
// the staleness bound may predate it.
func (r *recentChanges) flushed(now, staleness int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushAt = now
	r.forget(now - staleness)
}

// forget drops the invalidations before cutoff. The caller holds mu.
func (r *recentChanges) forget(cutoff int64) {
	n := 0
	for n < len(r.order) && r.order[n].at < cutoff {
		if old := r.order[n]; r.at[old.key] == old.at {
			delete(r.at, old.key)
		}
		n++
	}
	if n > 0 {
		r.order = append(r.order[:0], r.order[n:]...)
	}
}

// changedSince reports whether any of keys was invalidated, or the cache
// flushed, at or after since.
func (r *recentChanges) changedSince(since int64, keys ...cacheKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flushAt != 0 && r.flushAt >= since {
		return true
	}
	for _, key := range keys {
		if at, ok := r.at[key]; ok && at >= since {
			return true
		}
	}
	return false
}
