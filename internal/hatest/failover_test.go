//go:build ha

package hatest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
)

const (
	// workers write concurrently through one Store.
	workers = 4
	// poolSize is the Store's pool: after the failover at most this many
	// stale connections may fail a call each.
	poolSize = 8
	// callTimeout bounds every call: an error must come before it.
	callTimeout = 15 * time.Second
	// phaseWrites is how many acknowledged writes each calm phase waits
	// for, at the least.
	phaseWrites = 200
)

// TestFailoverUnderLoad proves that a Store whose pool lists both data
// nodes with target_session_attrs=read-write rides through a primary
// killed hard and a planned switchover: callers see connection errors
// only, each before its deadline; writes resume on the new primary; no
// acknowledged write is lost; no user is left half there; and the same
// Store value keeps working without a restart.
func TestFailoverUnderLoad(t *testing.T) {
	soak := soakDuration(t)
	fast := os.Getenv("LUCIAPG_HA_MONITOR_DEFAULTS") == ""
	t0 := time.Now()
	af := pgcluster.StartAutoFailover(t, "luciapg", fast)
	t.Logf("%s: monitor :%d, node1 :%d, node2 :%d ready in %s (fast monitor settings: %v)",
		af.Version, af.Monitor.Port, af.Nodes[0].Port, af.Nodes[1].Port, time.Since(t0).Round(time.Millisecond), fast)

	ctx := context.Background()
	// connect_timeout bounds each host's attempt: a dead host that drops
	// packets instead of refusing would otherwise hold every connect.
	url := af.URL("connect_timeout=2")
	mctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := luciapg.MigrateConnString(mctx, url); err != nil {
		t.Fatalf("Migrate through the multi-host URL: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = poolSize
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := luciapg.New(pool)
	l := newLedger(store, callTimeout)

	stop, loadDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(loadDone)
		l.run(workers, stop)
	}()
	stopLoad := sync.OnceFunc(func() { close(stop); <-loadDone })
	t.Cleanup(stopLoad)

	// Phase 1: the primary is killed, machine and all.
	waitForWrites(t, l, phaseWrites, soak)
	primary := assignedPrimary(t, af, af.Nodes[0])
	errorsBefore := l.errorCount()
	killedAt := time.Now()
	primary.Kill()
	newPrimary := assignedPrimary(t, af, af.Nodes[1])
	waitForAckAfter(t, l, time.Now())
	waitForWrites(t, l, phaseWrites, 0)
	resumedAt, _ := l.outage(killedAt, time.Now())
	killRecovery := resumedAt.Sub(killedAt)
	t.Logf("killed %s: writes resumed %s later (first acknowledged write after the outage), on %s; %d calls failed meanwhile",
		primary.Name, killRecovery.Round(time.Millisecond), newPrimary.Name, l.errorCount()-errorsBefore)

	// The killed node comes back and rejoins as the synchronous secondary.
	waitForWrites(t, l, phaseWrites, soak)
	restartedAt := time.Now()
	primary.Start(t)
	af.WaitState(t, primary, "secondary")
	// Synchronous again: the new primary leaves wait_primary.
	af.WaitState(t, newPrimary, "primary")
	t.Logf("%s rejoined as secondary in %s", primary.Name, time.Since(restartedAt).Round(time.Millisecond))

	// Phase 2: a planned switchover back to it.
	waitForWrites(t, l, phaseWrites, soak)
	errorsBefore = l.errorCount()
	switchedAt := time.Now()
	if err := af.Switchover(); err != nil {
		t.Fatalf("switchover: %v", err)
	}
	switchoverTook := time.Since(switchedAt)
	waitForWrites(t, l, phaseWrites, 0)
	_, switchGap := l.outage(switchedAt, time.Now())
	finalPrimary := assignedPrimary(t, af, primary)
	t.Logf("switchover to %s: pg_autoctl returned after %s; longest time without an acknowledged write %s; %d calls failed meanwhile",
		finalPrimary.Name, switchoverTook.Round(time.Millisecond), switchGap.Round(time.Millisecond), l.errorCount()-errorsBefore)

	stopLoad()
	duringLoad := l.errorCount()

	// The same Store value goes on: at most one stale connection per pool
	// slot may fail a call.
	for i := range 30 {
		l.iterate(fmt.Sprintf("after_%03d", i), i%3 == 2)
	}
	afterErrors := l.errorCount() - duringLoad
	t.Logf("the same Store afterwards: 30 iterations, %d calls failed", afterErrors)
	if afterErrors > poolSize {
		t.Errorf("the same Store after the switchover: %d calls failed, want at most %d (stale connections)", afterErrors, poolSize)
	}

	// The audit, on the new primary alone.
	actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(actx, finalPrimary.NodeURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var inRecovery bool
	if err := conn.QueryRow(actx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || inRecovery {
		t.Fatalf("%s is not the primary: in recovery %v, %v", finalPrimary.Name, inRecovery, err)
	}
	a, err := l.audit(actx, conn)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	t.Logf("audit on %s: %d writes acknowledged %v, %d found as acknowledged, %d lost, %d broken users, %d unacknowledged writes committed anyway",
		finalPrimary.Name, a.acknowledgedTotal(), a.Acknowledged, a.Verified, len(a.Lost), len(a.Broken), a.InDoubtCommitted)
	t.Logf("calls: %d, connection errors: %d, slowest call: %s", l.calls.Load(), l.errorCount(), l.slowest.Round(time.Millisecond))
	for _, kind := range l.tally() {
		t.Logf("  %s", kind)
	}
	t.Logf("RESULT kill_to_first_write=%s switchover_write_gap=%s switchover_command=%s acknowledged=%d verified=%d lost=%d broken=%d in_doubt_committed=%d errors=%d slowest_call=%s total=%s",
		killRecovery.Round(time.Millisecond), switchGap.Round(time.Millisecond), switchoverTook.Round(time.Millisecond),
		a.acknowledgedTotal(), a.Verified, len(a.Lost), len(a.Broken), a.InDoubtCommitted, l.errorCount(),
		l.slowest.Round(time.Millisecond), time.Since(t0).Round(time.Second))
	for _, p := range l.problems {
		t.Errorf("call: %s", p)
	}
	for _, p := range a.Lost {
		t.Errorf("lost: %s", p)
	}
	for _, p := range a.Broken {
		t.Errorf("broken: %s", p)
	}
	if a.acknowledgedTotal() == 0 || a.Verified != a.acknowledgedTotal() {
		t.Errorf("%d of %d acknowledged writes verified", a.Verified, a.acknowledgedTotal())
	}
	auditCatchesALostWrite(t, actx, l, conn)
}

// auditCatchesALostWrite proves the audit is not blind: once an
// acknowledged session is deleted behind the Store's back, auditing its
// user reports exactly that write lost.
func auditCatchesALostWrite(t *testing.T, ctx context.Context, l *ledger, conn *pgx.Conn) {
	t.Helper()
	for _, u := range l.users {
		if u.setErr != nil || u.deleted || len(u.sessions) < 2 || u.sessions[1].setErr != nil {
			continue
		}
		if _, err := conn.Exec(ctx, "DELETE FROM auth_session WHERE id = $1", u.sessions[1].id); err != nil {
			t.Fatal(err)
		}
		one := &ledger{users: []*userEntry{u}}
		a, err := one.audit(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Lost) != 1 {
			t.Errorf("a session deleted behind the Store's back: the audit reports %d lost writes, want 1", len(a.Lost))
		}
		return
	}
	t.Error("no user with an acknowledged second session to check the audit with")
}

// soakDuration reads LUCIAPG_HA_SOAK: how long each calm phase lasts at
// the least (0: until phaseWrites writes).
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("LUCIAPG_HA_SOAK")
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("LUCIAPG_HA_SOAK=%q: want a duration such as 30s", v)
	}
	return d
}

// assignedPrimary waits until the monitor has assigned the primary role
// to want (its state may lag behind the servers' by a health check).
func assignedPrimary(t *testing.T, af *pgcluster.AutoFailover, want *pgcluster.AutoNode) *pgcluster.AutoNode {
	t.Helper()
	var last string
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		p, err := af.Primary(context.Background())
		switch {
		case err != nil:
			last = err.Error()
		case p == want:
			return p
		default:
			last = p.Name
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the monitor's primary is %s, want %s", last, want.Name)
	return nil
}

// waitForWrites waits until n more writes have been acknowledged and at
// least d has passed, failing t after a deadline.
func waitForWrites(t *testing.T, l *ledger, n int, d time.Duration) {
	t.Helper()
	target, start := l.acked()+n, time.Now()
	deadline := start.Add(d + 3*time.Minute)
	for l.acked() < target || time.Since(start) < d {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes acknowledged in %s, want %d; connection errors: %v", l.acked()-target+n, time.Since(start), n, l.tally())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForAckAfter waits for the first write acknowledged after since and
// returns when it returned.
func waitForAckAfter(t *testing.T, l *ledger, since time.Time) time.Time {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if at, ok := l.firstAckSentAfter(since); ok {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write acknowledged within 3 minutes of %s; connection errors: %v", since.Format(time.TimeOnly), l.tally())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
