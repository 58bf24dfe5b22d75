//go:build ha

package hatest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/faultload"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/replica"
	"github.com/luciapg/luciapg/sessioncache"
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
	// routerMaxLag is the replica router's bound on its standby's
	// staleness: with the cache over it, the bound on serving a revoked
	// session is the larger of this and the cache's MaxLag.
	routerMaxLag = time.Second
	// deleteAfter is how long a user of the load lives before it is read
	// back and partly deleted: more than routerMaxLag, so that the cache
	// over the router keeps its sessions before they are revoked, and
	// long enough that what was written just before a failover is read
	// back after it.
	deleteAfter = 2 * time.Second
)

// cacheConfig is the session cache's configuration: the defaults, spelled
// out because MaxLag is part of the promise checked.
var cacheConfig = sessioncache.Config{PollInterval: 10 * time.Millisecond, MaxLag: 50 * time.Millisecond}

// TestFailoverUnderLoad proves that a Store whose pool lists both data
// nodes with target_session_attrs=read-write rides through a primary
// killed hard and a planned switchover: callers see connection errors
// only, each before its deadline, and only while writes are out (at most
// one per worker per backoff), plus one per stale pool connection; writes
// resume on the new primary; every acknowledged write is read back after
// its ack (before the load deletes it, or on the final primary) and none
// is lost; no user is left half there; the same Store value keeps working
// without a restart; and a session cache over a replica router over the
// standby never serves a session revoked longer ago than its bound.
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
	pool := newPool(t, url, poolSize)
	store := luciapg.New(pool)
	l := newLedger(store, callTimeout, deleteAfter)

	// Validation goes through a session cache over a router whose standby
	// pool prefers whichever node is the standby: the stack the
	// operations guide describes. Both follow the failover on their own.
	standbyPool := newPool(t, strings.Replace(url, "target_session_attrs=read-write", "target_session_attrs=prefer-standby", 1), 4)
	router, err := replica.New(pool, standbyPool, replica.Config{MaxLag: routerMaxLag})
	if err != nil {
		t.Fatalf("replica.New: %v", err)
	}
	defer router.Close()
	cacheCfg := cacheConfig
	cacheCfg.ConnString = url
	cache, err := sessioncache.New(mctx, router, cacheCfg)
	if err != nil {
		t.Fatalf("sessioncache.New: %v", err)
	}
	defer cache.Close()
	l.validator = cache
	l.revocations = faultload.NewRevocations(cache, max(cacheCfg.MaxLag, routerMaxLag), callTimeout)

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
	killedAt := time.Now()
	primary.Kill()
	newPrimary := assignedPrimary(t, af, af.Nodes[1])
	waitForAckAfter(t, l, time.Now())
	waitForWrites(t, l, phaseWrites, 0)
	killRecovery, killResumed := l.outage(workers, killedAt, time.Now())
	killErrors := l.failuresPerWorker(workers, killedAt, killResumed)
	t.Logf("killed %s at %s: writes resumed on %s after %v (per worker); calls failed meanwhile per worker: %v",
		primary.Name, killedAt.Format("15:04:05.000"), newPrimary.Name, roundAll(killRecovery), killErrors)

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
	switchedAt := time.Now()
	if err := af.Switchover(); err != nil {
		t.Fatalf("switchover: %v", err)
	}
	switchReturned := time.Now()
	waitForWrites(t, l, phaseWrites, 0)
	switchRecovery, switchResumed := l.outage(workers, switchedAt, time.Now())
	switchEnd := switchResumed
	if switchReturned.After(switchEnd) {
		switchEnd = switchReturned
	}
	switchErrors := l.failuresPerWorker(workers, switchedAt, switchEnd)
	finalPrimary := assignedPrimary(t, af, primary)
	t.Logf("switchover to %s from %s: pg_autoctl returned after %s; writes resumed after %v (per worker); calls failed meanwhile per worker: %v",
		finalPrimary.Name, switchedAt.Format("15:04:05.000"), switchReturned.Sub(switchedAt).Round(time.Millisecond), roundAll(switchRecovery), switchErrors)

	stopLoad()
	duringLoad := l.errorCount()
	calmErrors := duringLoad - sum(killErrors) - sum(switchErrors)

	// The same Store value goes on: at most one stale connection per pool
	// slot may fail a call.
	l.deleteAfter = 0
	l.work(0, "after", 30, nil)
	afterErrors := l.errorCount() - duringLoad
	t.Logf("the same Store afterwards: 30 iterations, %d calls failed", afterErrors)

	// Connection errors only while writes were out, and a bounded number.
	checkErrors(t, "the kill", killErrors, killResumed.Sub(killedAt))
	checkErrors(t, "the switchover", switchErrors, switchEnd.Sub(switchedAt))
	if calmErrors > 2*poolSize {
		t.Errorf("%d calls failed while writes were not out, want at most %d (a stale connection per pool slot after each of the two failovers)", calmErrors, 2*poolSize)
	}
	if afterErrors > poolSize {
		t.Errorf("the same Store after the switchover: %d calls failed, want at most %d (stale connections)", afterErrors, poolSize)
	}
	if len(killRecovery) != workers || len(switchRecovery) != workers {
		t.Errorf("writes resumed for %d and %d of %d workers after the kill and the switchover", len(killRecovery), len(switchRecovery), workers)
	}

	l.revocations.Wait()
	revocations := l.revocations.Report()
	st := cache.Stats()
	t.Logf("session cache over the router: %d hits, %d misses, %d bypassed, %d lagged, %d evicted by the change log, %d reconnects; router: %+v",
		st.Hits, st.Misses, st.Bypassed, st.Lagged, st.Evictions.Logged, st.Reconnects, router.Stats())

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
	a, err := l.audit(actx, conn, killedAt)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	acks := l.ackedKinds()
	t.Logf("audit on %s: %d lost, %d broken users, %d unacknowledged writes committed anyway", finalPrimary.Name, a.lostTotal(), len(a.Broken), a.InDoubtCommitted)
	for _, kind := range writeKinds {
		k := a.Kinds[kind]
		t.Logf("  %-13s acknowledged %d (audited %d), verified %d (read back before its delete %d, on %s %d), lost %d; of %d creates acknowledged before the kill, %d verified after it",
			kind, acks[kind], k.Acked, k.Verified, k.ReadBack, finalPrimary.Name, k.AtAudit, len(k.Lost), k.AckedBefore, k.VerifiedAfter)
		if acks[kind] == 0 || k.Acked != acks[kind] || k.Verified != acks[kind] {
			t.Errorf("%s: %d acknowledged, %d in the audit, %d verified: want all equal and not 0", kind, acks[kind], k.Acked, k.Verified)
		}
		for _, p := range k.Lost {
			t.Errorf("lost: %s", p)
		}
	}
	t.Logf("calls: %d, connection errors: %d, slowest call: %s (%s)", l.calls.Load(), l.errorCount(), l.slowest.Round(time.Millisecond), l.slowestWhat)
	for _, kind := range l.tally() {
		t.Logf("  %s", kind)
	}
	t.Logf("revocations through the cache over the router: %s", revocations)
	t.Logf("RESULT kill_recovery_max=%s switchover_recovery_max=%s switchover_command=%s acknowledged=%d verified=%d lost=%d broken=%d in_doubt_committed=%d errors_kill=%d errors_switchover=%d errors_calm=%d errors_after=%d revoked_served_past_bound=%d slowest_call=%s total=%s",
		slices.Max(append(killRecovery, 0)).Round(time.Millisecond), slices.Max(append(switchRecovery, 0)).Round(time.Millisecond),
		switchReturned.Sub(switchedAt).Round(time.Millisecond), sumMap(acks), verifiedTotal(a), a.lostTotal(), len(a.Broken), a.InDoubtCommitted,
		sum(killErrors), sum(switchErrors), calmErrors, afterErrors, revocations.ServedPastBound,
		l.slowest.Round(time.Millisecond), time.Since(t0).Round(time.Second))
	for _, p := range l.problems {
		t.Errorf("call: %s", p)
	}
	for _, p := range a.Broken {
		t.Errorf("broken: %s", p)
	}
	for _, p := range revocations.Problems {
		t.Errorf("revocation: %s", p)
	}
	if revocations.Revoked == 0 || revocations.ServedPastBound != 0 {
		t.Errorf("revocations checked through the cache: %d, served past the %s bound: %d; want some and 0", revocations.Revoked, revocations.Bound, revocations.ServedPastBound)
	}
	auditCatchesALostWrite(t, actx, l, conn)

	if path := os.Getenv("LUCIAPG_HA_RESULTS"); path != "" && !t.Failed() {
		recordRun(t, path, runRecord{
			Date:                time.Now().UTC().Format(time.DateTime),
			Commit:              gitCommit(),
			Machine:             machine(),
			KillRecoveryMs:      millis(killRecovery),
			SwitchoverRecoverMs: millis(switchRecovery),
			SwitchoverCommandMs: millis([]time.Duration{switchReturned.Sub(switchedAt)})[0],
			Acked:               acks,
			Verified:            verifiedByKind(a),
			ReadBack:            readBackByKind(a),
			AckedBeforeKill:     sumKinds(a, func(k *kindAudit) int { return k.AckedBefore }),
			VerifiedAfterKill:   sumKinds(a, func(k *kindAudit) int { return k.VerifiedAfter }),
			Lost:                lostByKind(a),
			SlowestCall:         fmt.Sprintf("%s (%s)", l.slowest.Round(time.Millisecond), l.slowestWhat),
			Errors:              map[string]int{"kill": sum(killErrors), "switchover": sum(switchErrors), "calm": calmErrors, "after": afterErrors},
			Revocations:         revocations,
		})
	}
}

// newPool opens a pool on url with at most size connections, closed at
// the test's end.
func newPool(t *testing.T, url string, size int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = size
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// checkErrors fails t if a worker saw more connection errors in an outage
// of length d than one per backoff, plus one: a worker pauses for backoff
// after each.
func checkErrors(t *testing.T, event string, perWorker []int, d time.Duration) {
	t.Helper()
	bound := int(d/backoff) + 1
	for w, n := range perWorker {
		if n > bound {
			t.Errorf("worker %d saw %d connection errors during the %s (%s without writes), want at most %d", w, n, event, d.Round(time.Millisecond), bound)
		}
	}
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

func sumMap(m map[string]int) int {
	n := 0
	for _, x := range m {
		n += x
	}
	return n
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// auditCatchesALostWrite proves the audit is not blind: once an
// acknowledged session is deleted behind the Store's back, auditing its
// user reports exactly that write lost.
func auditCatchesALostWrite(t *testing.T, ctx context.Context, l *ledger, conn *pgx.Conn) {
	t.Helper()
	for _, u := range l.users {
		if u.setErr != nil || u.deleteUser || len(u.sessions) < 2 || u.sessions[1].setErr != nil {
			continue
		}
		if _, err := conn.Exec(ctx, "DELETE FROM auth_session WHERE id = $1", u.sessions[1].id); err != nil {
			t.Fatal(err)
		}
		one := &ledger{users: []*userEntry{u}}
		a, err := one.audit(ctx, conn, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if a.lostTotal() != 1 || len(a.Kinds["SetSession"].Lost) != 1 {
			t.Errorf("a session deleted behind the Store's back: the audit reports %d lost writes, want 1 SetSession", a.lostTotal())
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
