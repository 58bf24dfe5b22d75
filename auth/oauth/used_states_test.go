package oauth

import (
	"strconv"
	"testing"
	"time"
)

// The used-state set holds at most its size, forgetting the oldest
// first, and drops a state once its time is up.
func TestUsedStatesBoundedAndExpiring(t *testing.T) {
	u := newUsedStates(4)
	now := time.Unix(1_000_000, 0)
	for i := range 6 {
		if !u.use("s"+strconv.Itoa(i), now, now.Add(time.Minute)) {
			t.Fatalf("state %d refused the first time", i)
		}
	}
	if n := u.len(); n != 4 {
		t.Fatalf("%d states remembered, want the bound 4", n)
	}
	if u.use("s5", now, now.Add(time.Minute)) {
		t.Error("a remembered state accepted again")
	}
	if !u.use("s0", now, now.Add(time.Minute)) {
		t.Error("the oldest state, evicted at the bound, is still remembered")
	}
	later := now.Add(time.Minute + time.Second)
	if !u.use("s5", later, later.Add(time.Minute)) {
		t.Error("a state past its time is still remembered")
	}
	if n := u.len(); n != 1 {
		t.Errorf("%d states remembered after every other expired, want 1", n)
	}
}
