package auth

import "sync/atomic"

// recentSlots is how many sessions recentMarks remembers: 2^16 words (512
// KiB), in pairs, so that two sessions whose hashes pick the same pair
// both fit.
const recentSlots = 1 << 16

// recentMarks remembers, per session hash, when a use of it was last
// marked: a lossy, lock-free filter in front of lastSeen's shards. Each
// slot packs the hash's top 24 bits (a tag) and the mark's time, in
// milliseconds after base plus one (so that an empty slot, 0, matches
// nothing), into one word; a slot is read with one atomic
// load, so the validations that find their session there share the
// memory without writing to it. Sessions that find no slot of theirs go
// to the shards, which decide; a wrong answer would need two sessions
// whose hashes agree on 39 bits (the pair and the tag), and would only
// leave one session's last use unwritten for an interval.
type recentMarks struct {
	base  int64
	slots [recentSlots]atomic.Uint64
}

const (
	recentTimeBits = 40 // 2^40 ms: 34 years after base
	recentTimeMask = 1<<recentTimeBits - 1
)

func newRecentMarks(base int64) *recentMarks { return &recentMarks{base: base} }

// pair is the index of the first of the two slots hash may use.
func pair(hash uint64) int { return int(hash % (recentSlots / 2) * 2) }

func tag(hash uint64) uint64 { return hash >> recentTimeBits }

// seen reports whether the session with this hash was marked within
// interval before now (and not after it: a clock set back goes to the
// shards).
func (r *recentMarks) seen(hash uint64, now, interval int64) bool {
	rel := now - r.base + 1
	if rel < 1 || rel > recentTimeMask {
		return false
	}
	i, t := pair(hash), tag(hash)
	for _, v := range [2]uint64{r.slots[i].Load(), r.slots[i+1].Load()} {
		if marked := int64(v & recentTimeMask); marked != 0 && v>>recentTimeBits == t {
			return rel >= marked && rel-marked < interval
		}
	}
	return false
}

// remember records that the session with this hash was marked at
// markedAt: in its own slot of the pair if it has one, else in the one
// marked longer ago. Two validations racing here can only make a later
// call go to the shards.
func (r *recentMarks) remember(hash uint64, markedAt int64) {
	rel := markedAt - r.base + 1
	if rel < 1 || rel > recentTimeMask {
		return
	}
	i, t := pair(hash), tag(hash)
	v := t<<recentTimeBits | uint64(rel)
	a, b := r.slots[i].Load(), r.slots[i+1].Load()
	switch {
	case a>>recentTimeBits == t:
	case b>>recentTimeBits == t:
		i++
	case b&recentTimeMask < a&recentTimeMask:
		i++
	}
	r.slots[i].Store(v)
}
