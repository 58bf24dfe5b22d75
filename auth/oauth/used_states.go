package oauth

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// maxUsedStates bounds the states a Flow remembers (a few MB). Only
// states this Flow signed get in, so reaching it takes an attacker two
// requests (Start, then Callback) per entry; the oldest entry then goes,
// and a replay of its callback meets the provider's single-use code and
// the browser's deleted cookie instead.
const maxUsedStates = 1 << 16

// usedStates remembers the states callbacks have used until they would
// have expired anyway, so a state (with its cookie) is accepted once even
// if someone captured and replays both. It is per process: across
// instances, the cookie the browser deletes and the provider's single-use
// codes are what stop a replay.
//
// Every operation is O(1) under the lock: a map lookup, an insertion,
// and dropping expired entries from the old end (entries are added in
// roughly the order they expire), each dropped once. Not
// golang-lru's expirable LRU: it runs a goroutine per LRU that never
// stops, and expires by the wall clock rather than Config.Now.
type usedStates struct {
	mu   sync.Mutex
	seen *simplelru.LRU[[32]byte, time.Time] // hash of the state -> when to forget it
}

func newUsedStates(size int) *usedStates {
	seen, err := simplelru.NewLRU[[32]byte, time.Time](size, nil)
	if err != nil {
		panic(err) // size is a positive constant
	}
	return &usedStates{seen: seen}
}

// use records state and reports whether it was unused.
func (u *usedStates) use(state string, now, forgetAt time.Time) bool {
	h := sha256.Sum256([]byte(state))
	u.mu.Lock()
	defer u.mu.Unlock()
	for {
		_, t, ok := u.seen.GetOldest()
		if !ok || !now.After(t) {
			break
		}
		u.seen.RemoveOldest()
	}
	// Peek, not Get: the order stays that of insertion.
	if t, ok := u.seen.Peek(h); ok && !now.After(t) {
		return false
	}
	u.seen.Add(h, forgetAt)
	return true
}

// len is how many states are remembered.
func (u *usedStates) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen.Len()
}
