package luciapg

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// maxCacheShards is how many locks a SessionCache's entries are spread
// over at most: enough that 8 workers on a few cores rarely meet on one.
const maxCacheShards = 16

// cacheShard is one lock's share of a SessionCache's entries: an LRU of
// MaxEntries divided by the number of shards, whose least recently used
// entry goes first.
type cacheShard struct {
	mu sync.Mutex
	// entries are keyed by session id, so a hit hashes nothing but the
	// shard's choice.
	entries *simplelru.LRU[string, *cachedSession]
	// byHash finds the cached session a logged change names by its hash;
	// byUser the cached sessions of the user one names.
	byHash map[cacheKey]string
	byUser map[cacheKey]map[string]struct{}
	// Keeps each shard's lock on a cache line of its own.
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
		s := &shards[i]
		s.byHash = map[cacheKey]string{}
		s.byUser = map[cacheKey]map[string]struct{}{}
		entries, err := simplelru.NewLRU(maxEntries/n, s.unindex)
		if err != nil {
			return nil, err
		}
		s.entries = entries
	}
	return shards, nil
}

// get returns the entry for sessionID unless it is missing or has expired
// (then removed, counted in expired).
func (s *cacheShard) get(sessionID string, nowMs int64, expired *counter) (*cachedSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entry, ok := s.entries.Get(sessionID)
	if ok && nowMs >= entry.expiresAt {
		s.entries.Remove(sessionID)
		expired.Add(1)
		return nil, false
	}
	return entry, ok
}

// addLocked caches entry, reporting whether another was evicted to make
// room. The caller holds mu.
func (s *cacheShard) addLocked(entry *cachedSession) (evicted bool) {
	id := entry.session.ID
	// Removing first keeps byUser right if the entry's user changed.
	s.entries.Remove(id)
	evicted = s.entries.Add(id, entry)
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
	clear(s.byHash)
	clear(s.byUser)
	return n
}

func (s *cacheShard) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries.Len()
}
