package oauth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// usedStates remembers the states callbacks have used until they would
// have expired anyway, so a state (with its cookie) is accepted once even
// if someone captured and replays both. It is per process: across
// instances, the cookie the browser deletes and the provider's single-use
// codes are what stop a replay.
type usedStates struct {
	mu   sync.Mutex
	seen map[[32]byte]time.Time // hash of the state -> when to forget it
}

// use records state and reports whether it was unused. Expired entries
// are dropped on the way, so the map holds at most the states of one TTL.
func (u *usedStates) use(state string, now, forgetAt time.Time) bool {
	h := sha256.Sum256([]byte(state))
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.seen == nil {
		u.seen = make(map[[32]byte]time.Time)
	}
	for k, t := range u.seen {
		if now.After(t) {
			delete(u.seen, k)
		}
	}
	if _, ok := u.seen[h]; ok {
		return false
	}
	u.seen[h] = forgetAt
	return true
}
