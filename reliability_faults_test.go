package luciapg_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/internal/faultload"
)

// The fault test's load: faultWorkers goroutines share a pool of
// faultPoolSize connections while every backend of the test database is
// terminated, each round after faultCallsPerRound more calls have returned,
// for at least faultKillRounds rounds and until faultBusyKills backends
// were killed in the middle of a statement or transaction (at most
// faultMaxRounds). `make chaos` runs the same load longer, across a server
// restart.
const (
	faultWorkers       = 6
	faultPoolSize      = 6
	faultKillRounds    = 12
	faultBusyKills     = 6
	faultMaxRounds     = 200
	faultCallsPerRound = 15
	faultRecoveryRuns  = 8 // iterations per worker after the kills stop
)

// TestTerminatedBackendsUnderLoad kills the Store's backends again and
// again under a mixed concurrent load. Every call returns before its
// deadline (none hangs); every error is a lost connection; afterwards the
// data is audited against what each call returned; and the same Store, not
// rebuilt, works again.
func TestTerminatedBackendsUnderLoad(t *testing.T) {
	t.Parallel()
	store, pool, url := newReliabilityStore(t, faultPoolSize)
	load := faultload.New(store, reliabilityTimeout)

	killer, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(context.Background())

	stop := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		load.Run("kill", faultWorkers, 0, stop)
	}()
	terminated, busy, rounds := 0, 0, 0
	for ; rounds < faultKillRounds || (busy < faultBusyKills && rounds < faultMaxRounds); rounds++ {
		load.WaitForCalls(load.Calls() + faultCallsPerRound)
		n, b, err := faultload.TerminateBackends(context.Background(), killer)
		if err != nil {
			close(stop)
			<-loadDone
			t.Fatalf("terminating backends: %v", err)
		}
		terminated, busy = terminated+n, busy+b
	}
	close(stop)
	<-loadDone
	t.Logf("kill phase: %d calls, %d users, %d rounds terminating %d backends (%d mid-statement or mid-transaction), lost connections: %s",
		load.Calls(), load.Users(), rounds, terminated, busy, load.LostTally())
	if busy < faultBusyKills {
		t.Errorf("only %d of %d terminated backends were busy: the kills did not hit running statements", busy, terminated)
	}

	// The same Store, after the kills: each dead connection left in the
	// pool costs at most one failed call before pgxpool drops it.
	lostBefore := load.Lost()
	load.Run("after", faultWorkers, faultRecoveryRuns, nil)
	if lost := load.Lost() - lostBefore; lost > faultPoolSize {
		t.Errorf("after the kills, %d calls lost their connection; want at most one per pooled connection (%d)", lost, faultPoolSize)
	}
	for _, p := range load.Problems() {
		t.Error(p)
	}
	wantPoolWorks(t, store)

	report, err := load.Audit(callContext(t), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range report.Problems {
		t.Error("audit: " + p)
	}
	t.Logf("audit: %d users checked; %d SetUser calls lost their connection after committing", report.Users, report.LostAfterCommit)
}
