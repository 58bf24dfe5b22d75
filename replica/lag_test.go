package replica

import (
	"testing"
	"time"
)

// TestReplicaLagRecord checks the lag arithmetic on made-up positions: a
// replica at the primary's position is fresh as of the check, however long
// the primary has been idle; a replica stuck behind stays as fresh as the
// last position it reached, however many checks follow; and dropping
// samples past maxSamples can only make it look staler.
func TestReplicaLagRecord(t *testing.T) {
	var l standbyLag
	// An idle primary: the position never moves, every check is fresh.
	for at := int64(1); at <= 5; at++ {
		l.record(lsnSample{at: at, lsn: 100}, 100)
		if got := l.freshAt.Load(); got != at {
			t.Fatalf("idle primary, check %d: freshAt %d", at, got)
		}
	}
	// The replica stops at 100 while the primary moves on.
	for at := int64(6); at <= 6+2*maxSamples; at++ {
		l.record(lsnSample{at: at, lsn: 100 + at}, 100)
	}
	if got := l.freshAt.Load(); got != 5 {
		t.Fatalf("stuck standby: freshAt %d, want 5 (its last position)", got)
	}
	if len(l.samples) != maxSamples {
		t.Fatalf("%d samples kept, want at most %d", len(l.samples), maxSamples)
	}
	// It catches up part of the way: to a position whose sample was
	// dropped. Fresh as of the newest kept sample it has reached, which is
	// never later than the truth.
	l.record(lsnSample{at: 7 + 2*maxSamples, lsn: 107 + 2*maxSamples}, 100+2*maxSamples)
	if got := l.freshAt.Load(); got != 2*maxSamples {
		t.Fatalf("caught up to the sample at %d: freshAt %d", 2*maxSamples, got)
	}
	// A replica position that goes backwards (a lost measurement order)
	// never moves freshAt back.
	l.record(lsnSample{at: 8 + 2*maxSamples, lsn: 50}, 50)
	if got := l.freshAt.Load(); got < 2*maxSamples {
		t.Fatalf("freshAt went back to %d", got)
	}
}

// TestReplicaLagUsable: unmeasured, stale and resting replicas serve no
// reads.
func TestReplicaLagUsable(t *testing.T) {
	l := standbyLag{base: time.Now().Add(-time.Hour)}
	if l.usable(time.Minute) {
		t.Error("usable before any measurement")
	}
	l.record(lsnSample{at: l.now(), lsn: 1}, 1)
	if !l.usable(time.Minute) {
		t.Error("not usable just after a fresh measurement")
	}
	l.freshAt.Store(l.now() - int64(2*time.Minute))
	if l.usable(time.Minute) {
		t.Error("usable two minutes stale with a one-minute bound")
	}
	l.record(lsnSample{at: l.now(), lsn: 2}, 2)
	l.markDown(time.Hour)
	if l.usable(time.Minute) {
		t.Error("usable while resting after a failure")
	}
}
