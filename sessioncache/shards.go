package sessioncache

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// maxCacheShards is how many locks a Cache's entries are spread
// over at most: enough that 8 workers on a few cores rarely meet on one.
const maxCacheShards = 16

// cacheShard is one lock's share of a Cache's entries, at most
// MaxEntries divided by the number of shards.
//
// Hits take only the read lock and change nothing but the entry's
// referenced bit, so they neither wait for each other nor move anything
// in the LRU's list (the move was a tenth of a hit's time). Eviction gives
// the bit its meaning: CLOCK's second chance, on the LRU's list in
// insertion order. The oldest entry goes unless it was hit since it
// reached the list's end; then it goes back to the front with the bit
// cleared, so an entry that is read stays and one that is not goes first.
type cacheShard struct {
	mu sync.RWMutex
	// entries are keyed by session id and keep the order eviction goes
	// by. Its eviction callback unindexes, whatever the cause.
	entries *simplelru.LRU[string, *cachedSession]
	// live holds the same entries for hits, which find an entry here
	// one pointer sooner than through the LRU's element: a memory read
	// less for a session whose entry is not in the CPU's caches.
	live map[string]*cachedSession
	// capacity is this shard's share of MaxEntries.
	capacity int
	// byHash finds the cached session a logged change names by its hash;
	// byUser the cached sessions of the user one names.
	byHash map[cacheKey]string
	byUser map[cacheKey]map[string]struct{}
	// hits and misses are counted per shard: one counter for the whole
	// cache, written by every hit, would move between the cores' caches on
	// each one.
	hits, misses counter
	// Keeps each shard's lock and counters on cache lines of their own.
	_ [64]byte
}

// newCacheShards makes a power of two of shards (for the mask), at most
// maxCacheShards and at most maxEntries, holding maxEntries in all at most.
func newCacheShards(maxEntries int) ([]cacheShard, error) {
	n := 1
	for n*2 <= min(maxCacheShards, maxEntries) {
		n *= 2
	}
	shards := make([]cacheShard, n)
	for i := range shards {
		if err := shards[i].init(maxEntries / n); err != nil {
			return nil, err
		}
	}
	return shards, nil
}

// init makes the shard empty, to hold capacity entries at most.
func (s *cacheShard) init(capacity int) error {
	s.capacity = capacity
	s.live = map[string]*cachedSession{}
	s.byHash = map[cacheKey]string{}
	s.byUser = map[cacheKey]map[string]struct{}{}
	// One more than the share: addLocked evicts first, by second chance,
	// so the LRU's own eviction never runs.
	entries, err := simplelru.NewLRU(capacity+1, s.unindex)
	s.entries = entries
	return err
}

// get returns the entry for sessionID unless it is missing or has expired
// (then removed, counted in expired).
func (s *cacheShard) get(sessionID string, now cacheTime, expired *counter) (*cachedSession, bool) {
	s.mu.RLock()
	entry, ok := s.live[sessionID]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if entry.expiredAt(now) {
		s.removeExpired(sessionID, entry, expired)
		return nil, false
	}
	// Written only when clear, so a hot entry's line is not written on
	// every hit.
	if !entry.referenced.Load() {
		entry.referenced.Store(true)
	}
	return entry, true
}

// removeExpired removes entry if it is still the one cached for sessionID.
func (s *cacheShard) removeExpired(sessionID string, entry *cachedSession, expired *counter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current, ok := s.entries.Peek(sessionID); ok && current == entry {
		s.entries.Remove(sessionID)
		expired.Add(1)
	}
}

// addLocked caches entry, reporting how many others were evicted to make
// room. The caller holds mu.
func (s *cacheShard) addLocked(entry *cachedSession) (evicted uint64) {
	id := entry.session.ID
	// Removing first keeps byUser right if the entry's user changed.
	s.entries.Remove(id)
	for s.entries.Len() >= s.capacity {
		oldestID, oldest, _ := s.entries.GetOldest()
		if oldest.referenced.Load() {
			oldest.referenced.Store(false)
			s.entries.Get(oldestID) // to the front: its second chance
			continue
		}
		s.entries.RemoveOldest()
		evicted++
	}
	s.entries.Add(id, entry)
	s.live[id] = entry
	s.byHash[entry.sessionKey] = id
	sessions := s.byUser[entry.userKey]
	if sessions == nil {
		sessions = map[string]struct{}{}
		s.byUser[entry.userKey] = sessions
	}
	sessions[id] = struct{}{}
	return evicted
}

// unindex is the LRU's eviction callback, called with mu held for every
// entry that leaves, whatever the cause.
func (s *cacheShard) unindex(sessionID string, entry *cachedSession) {
	delete(s.live, sessionID)
	delete(s.byHash, entry.sessionKey)
	sessions := s.byUser[entry.userKey]
	delete(sessions, sessionID)
	if len(sessions) == 0 {
		delete(s.byUser, entry.userKey)
	}
}

// evictSession drops the session with this hash, if here: 1 if it was.
func (s *cacheShard) evictSession(sessionKey cacheKey) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byHash[sessionKey]; ok && s.entries.Remove(id) {
		return 1
	}
	return 0
}

// evictUser drops the user's sessions held here, returning how many.
func (s *cacheShard) evictUser(userKey cacheKey) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for id := range s.byUser[userKey] {
		if s.entries.Remove(id) {
			n++
		}
	}
	return n
}

// purge drops every entry here, returning how many.
func (s *cacheShard) purge() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := uint64(s.entries.Len())
	s.entries.Purge()
	clear(s.live)
	clear(s.byHash)
	clear(s.byUser)
	return n
}

func (s *cacheShard) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.entries.Len()
}
