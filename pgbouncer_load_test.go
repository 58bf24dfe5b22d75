package luciapg_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/faultload"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// pgbouncerClients and pgbouncerServerConns are the case PgBouncer exists
// for: many client connections multiplexed onto a few server connections.
const (
	pgbouncerClients     = 400
	pgbouncerServerConns = 8
)

// TestLoadThroughPgBouncer runs the reliability load (faultload: users with
// keys, sessions, reads, deletes; a ledger audited afterwards) from 400
// client connections through PgBouncer onto 8 server connections, first
// undisturbed, then while the server connections behind PgBouncer are
// terminated again and again. Every error must be a lost connection, the
// audit must find the database as the calls reported it, and the same
// Store works afterwards.
func TestLoadThroughPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), pgbouncerServerConns)
	direct := testdb.NewURL(t)
	pool := testdb.Pool(t, bouncer.URL(direct, "exec"), pgbouncerClients)
	store := luciapg.New(pool)
	load := faultload.New(store, reliabilityTimeout)

	load.Run("calm", pgbouncerClients, 2, nil)
	if lost := load.Lost(); lost != 0 {
		t.Errorf("%d calls lost their connection with nothing killed: %s", lost, load.LostTally())
	}

	killer, err := pgx.Connect(context.Background(), direct)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(context.Background())
	stop := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		load.Run("kill", pgbouncerClients/4, 0, stop)
	}()
	terminated, busy := 0, 0
	for round := 0; round < faultKillRounds || (busy < faultBusyKills && round < faultMaxRounds); round++ {
		load.WaitForCalls(load.Calls() + 4*faultCallsPerRound)
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
	t.Logf("%d calls, %d users; %d server connections terminated (%d busy); lost connections: %s",
		load.Calls(), load.Users(), terminated, busy, load.LostTally())
	for _, p := range load.Problems() {
		t.Error(p)
	}
	wantPoolWorks(t, store)
	report, err := load.Audit(callContext(t), testdb.Pool(t, direct, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range report.Problems {
		t.Error("audit: " + p)
	}
}
