package replica

import (
	"testing"
	"time"
)

// TestReplicaLagRecord checks the lag arithmetic on made-up positions: a
// standby at the primary's position is fresh as of the newest sample,
// however long the primary has been idle; a standby stuck behind stays as
// fresh as the last position it reached, and turns stale once that sample
// is older than MaxLag; dropping samples past maxSamples can only make it
// look staler.
func TestReplicaLagRecord(t *testing.T) {
	id := primaryID{sysid: 1, tli: 1}
	l := standbyLag{maxLag: 1 << 40}
	// An idle primary: the position never moves, every sample is reached.
	for at := int64(1); at <= 5; at++ {
		l.add(id, lsnSample{at: at, lsn: 100})
		if got := l.last.Load().reached(100); got != at {
			t.Fatalf("idle primary, sample %d: reached %d", at, got)
		}
	}
	// The standby stops at 100 while the primary moves on.
	for at := int64(6); at <= 6+2*maxSamples; at++ {
		l.add(id, lsnSample{at: at, lsn: 100 + at})
	}
	pos := l.last.Load()
	if len(pos.samples) != maxSamples {
		t.Fatalf("%d samples kept, want %d", len(pos.samples), maxSamples)
	}
	if got := pos.reached(100); got != -1 {
		t.Fatalf("stuck standby: reached the sample at %d, which was dropped", got)
	}
	if pos.fresh(100, 0) {
		t.Fatal("stuck standby fresh")
	}
	// It catches up part of the way: fresh as of the newest kept sample it
	// has reached, never later than the truth.
	at := int64(2 * maxSamples)
	if got := pos.reached(100 + at); got != at {
		t.Fatalf("caught up to the sample at %d: reached %d", at, got)
	}
	if !pos.fresh(100+at, at-1) || pos.fresh(100+at, at) {
		t.Fatalf("caught up to the sample at %d: fresh since %d, or since %d", at, at-1, at)
	}
	// Samples older than MaxLag are dropped; a new identity (a failover)
	// starts afresh.
	l.maxLag = 10
	l.add(id, lsnSample{at: 20 + 2*maxSamples, lsn: 200 + 2*maxSamples})
	if n := len(l.last.Load().samples); n != 1 {
		t.Fatalf("%d samples kept within MaxLag, want 1", n)
	}
	l.add(primaryID{sysid: 1, tli: 2}, lsnSample{at: 21 + 2*maxSamples, lsn: 1})
	if pos := l.last.Load(); len(pos.samples) != 1 || pos.id.tli != 2 {
		t.Fatalf("after a failover: %+v", pos)
	}
}

// TestReplicaLagReachable: an insert position just past a page header
// (after pg_switch_wal() on an idle primary, the next segment's) counts as
// the page's start, which a caught-up standby reports; any other position
// stays as it is.
func TestReplicaLagReachable(t *testing.T) {
	const blk, seg = 8192, 16 << 20
	for _, c := range []struct{ lsn, want int64 }{
		{seg + 40, seg},          // after a segment's long header
		{3*blk + 24, 3 * blk},    // after a page's short header
		{3 * blk, 3 * blk},       // a page boundary itself
		{3*blk + 48, 3*blk + 48}, // a record on the page
		{3*blk - 8, 3*blk - 8},
	} {
		if got := reachable(c.lsn, blk); got != c.want {
			t.Errorf("reachable(%d) = %d, want %d", c.lsn, got, c.want)
		}
	}
}

// TestReplicaLagUsable: unmeasured, stale, unqualified and resting
// standbys serve no reads.
func TestReplicaLagUsable(t *testing.T) {
	l := standbyLag{base: time.Now().Add(-time.Hour)}
	if l.usable(time.Minute) {
		t.Error("usable before any measurement")
	}
	l.freshAt.Store(l.now())
	l.qualified.Store(true)
	if !l.usable(time.Minute) {
		t.Error("not usable just after a fresh measurement")
	}
	l.qualified.Store(false)
	if l.usable(time.Minute) {
		t.Error("usable when the last check found no standby of this primary")
	}
	l.qualified.Store(true)
	l.freshAt.Store(l.now() - int64(2*time.Minute))
	if l.usable(time.Minute) {
		t.Error("usable two minutes stale with a one-minute bound")
	}
	l.freshAt.Store(l.now())
	l.markDown(time.Hour)
	if l.usable(time.Minute) {
		t.Error("usable while resting after a failure")
	}
}
