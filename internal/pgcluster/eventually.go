package pgcluster

import (
	"testing"
	"time"
)

// Eventually polls cond until it reports true, failing tb when cond
// returns an error or a generous deadline passes: tests wait for
// replication this way, never with a fixed sleep.
func Eventually(tb testing.TB, what string, cond func() (bool, error)) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
