package sessioncache

import (
	"github.com/luciapg/luciapg"
	"slices"
	"testing"
)

// TestCacheShardGivesReadEntriesASecondChance: a full shard evicts the
// oldest entry that was not read since it was last passed over, so a hit
// keeps an entry that insertion order alone would push out, and the
// indexes follow every eviction.
func TestCacheShardGivesReadEntriesASecondChance(t *testing.T) {
	var s cacheShard
	if err := s.init(3); err != nil {
		t.Fatal(err)
	}
	add := func(id string) uint64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.addLocked(&cachedSession{
			session:    luciapg.Session{ID: id, UserID: "user-" + id},
			sessionKey: keyOf(id), userKey: keyOf("user-" + id),
			expiresMono: 1 << 62,
		})
	}
	var expired counter
	hit := func(id string) bool {
		_, ok := s.get(id, cacheTime{}, &expired)
		return ok
	}
	held := func() []string {
		ids := s.entries.Keys()
		slices.Sort(ids)
		return ids
	}
	for _, id := range []string{"a", "b", "c"} {
		if n := add(id); n != 0 {
			t.Fatalf("adding %s to a shard with room evicted %d", id, n)
		}
	}
	if !hit("a") {
		t.Fatal("a is not served")
	}
	// a is the oldest but was read: b goes.
	if n := add("d"); n != 1 {
		t.Fatalf("adding d evicted %d entries, want 1", n)
	}
	if got, want := held(), []string{"a", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("held %v after adding d, want %v (the read entry a kept, b evicted)", got, want)
	}
	// a used its chance and was not read since: c, then a, go next.
	add("e")
	if got, want := held(), []string{"a", "d", "e"}; !slices.Equal(got, want) {
		t.Fatalf("held %v after adding e, want %v", got, want)
	}
	add("f")
	if got, want := held(), []string{"d", "e", "f"}; !slices.Equal(got, want) {
		t.Fatalf("held %v after adding f, want %v", got, want)
	}
	// Every evicted entry left the hits' map and both indexes.
	if len(s.live) != 3 || len(s.byHash) != 3 || len(s.byUser) != 3 {
		t.Fatalf("the hits' map holds %d entries, the indexes %d sessions and %d users; want 3 each", len(s.live), len(s.byHash), len(s.byUser))
	}
	for _, id := range []string{"a", "b", "c"} {
		if hit(id) {
			t.Fatalf("evicted %s is still served", id)
		}
		if _, ok := s.byHash[keyOf(id)]; ok {
			t.Fatalf("evicted %s is still indexed by its hash", id)
		}
		if _, ok := s.byUser[keyOf("user-"+id)]; ok {
			t.Fatalf("evicted %s is still indexed by its user", id)
		}
	}
}

// TestCacheShardEvictsWhenEveryEntryWasRead: when every entry was read,
// the pass clears their bits and evicts one all the same, the oldest.
func TestCacheShardEvictsWhenEveryEntryWasRead(t *testing.T) {
	for _, capacity := range []int{1, 2, 5} {
		var s cacheShard
		if err := s.init(capacity); err != nil {
			t.Fatal(err)
		}
		var expired counter
		for i := range capacity + 1 {
			id := string(rune('a' + i))
			s.mu.Lock()
			evicted := s.addLocked(&cachedSession{session: luciapg.Session{ID: id}, sessionKey: keyOf(id), userKey: keyOf("u"), expiresMono: 1 << 62})
			s.mu.Unlock()
			if i == capacity && evicted != 1 {
				t.Fatalf("capacity %d: adding the entry over it evicted %d, want 1", capacity, evicted)
			}
			for _, held := range s.entries.Keys() {
				s.get(held, cacheTime{}, &expired)
			}
		}
		if s.entries.Len() != capacity {
			t.Fatalf("capacity %d: %d entries held", capacity, s.entries.Len())
		}
		if _, ok := s.entries.Peek("a"); ok {
			t.Fatalf("capacity %d: the oldest entry, read like every other, was kept", capacity)
		}
	}
}
