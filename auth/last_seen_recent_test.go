package auth

import "testing"

// TestRecentMarks checks the lock-free filter in front of the shards: it
// answers "marked within the interval" only for the session it was told
// of, within the interval, and never for a clock set back.
func TestRecentMarks(t *testing.T) {
	const base, interval = int64(1_000_000), int64(60_000)
	r := newRecentMarks(base)
	a := uint64(0xABCDEF_0000000123)
	if r.seen(a, base, interval) {
		t.Fatal("an empty filter said a session was marked")
	}
	if r.seen(0, base, interval) {
		t.Fatal("an empty slot matched the hash 0")
	}
	r.remember(a, base+10)
	for _, c := range []struct {
		at   int64
		want bool
	}{
		{base + 10, true}, {base + 10 + interval - 1, true},
		{base + 10 + interval, false}, // the interval has passed
		{base + 9, false},             // the clock went back
	} {
		if got := r.seen(a, c.at, interval); got != c.want {
			t.Errorf("seen at %+d ms: %t, want %t", c.at-base-10, got, c.want)
		}
	}
	// Another tag in the same pair takes the other slot; a third evicts the
	// one marked longer ago.
	b := a ^ 0x0000FF_0000000000
	c := a ^ 0x00FF00_0000000000
	if pair(b) != pair(a) || pair(c) != pair(a) {
		t.Fatal("the test's hashes do not share a pair")
	}
	if r.seen(b, base+20, interval) {
		t.Error("a session never marked was said marked (same pair, other tag)")
	}
	r.remember(b, base+20)
	if !r.seen(a, base+30, interval) || !r.seen(b, base+30, interval) {
		t.Error("two sessions of one pair did not both fit")
	}
	r.remember(c, base+40)
	if r.seen(a, base+50, interval) {
		t.Error("the older of the pair was not the one evicted")
	}
	if !r.seen(b, base+50, interval) || !r.seen(c, base+50, interval) {
		t.Error("the newer of the pair or the newcomer is missing")
	}
	// Before base (a clock set back past the Auth's start): never.
	r.remember(a, base-5)
	if r.seen(a, base-5, interval) {
		t.Error("a time before base was remembered")
	}
}
