package sessioncache

import (
	"testing"
	"time"
)

// TestStormGapDoublesToPollInterval: in a storm the follower's gap
// doubles from PollInterval / 5 up to PollInterval, and the first event
// after a storm starts again from PollInterval / 5.
func TestStormGapDoublesToPollInterval(t *testing.T) {
	t.Parallel()
	c := &Cache{cfg: Config{PollInterval: 10 * time.Millisecond}, wakeups: wakeups{gap: 2 * time.Millisecond}}
	var got []time.Duration
	gap := time.Duration(0)
	for _, storm := range []bool{true, true, true, true, true, false, true} {
		gap = c.stormGap(gap, storm)
		got = append(got, gap)
	}
	want := []time.Duration{2, 4, 8, 10, 10, 2, 4}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("gaps %v, want %v ms", got, want)
		}
	}
}
