package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/luciapg/luciapg/bench/internal/stats"
)

// Targets of the issue for the session cache.
const (
	cacheVsRawTarget    = 50.0
	revocationP99Target = 50_000.0 // µs
)

func writeCacheReport(dir string, r cacheReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Session cache\n\n%s. %d workers, pool of %d, %v warm-up then %v measured per run, %d rounds. %s\n\n",
		r.Machine, r.Config.Workers, r.Config.Pool, r.Config.Warmup, r.Config.Duration, r.Config.Rounds, spreadNote)

	fmt.Fprintf(&b, "## Validating a session: %s hot sessions\n\n", stats.Thousands(cacheHotSessions))
	fmt.Fprintf(&b, "Each worker validates a random one of the hot sessions (each with its user), which are all cached. "+
		"Every peer runs once per round, in an order that rotates; \"× raw\" is each round's throughput ÷ the raw twin's in the same round. "+
		"Lucia v1 is interop/lucia-v1/lucia.js (lucia-auth 1.8.0, @lucia-auth/adapter-postgresql 1.0.1 on node-postgres) "+
		"with the same concurrency on the same database; the bare map is a map behind an RWMutex emptied by the same change log, "+
		"read with the same query every %v as the cache, with no bounds and no auth checks: the ideal the cache's overhead is measured against.\n\n", cachePollInterval)
	b.WriteString("| peer | ops/s | × raw | p50 µs | p99 µs | client CPU µs/op |\n|---|---:|---:|---:|---:|---:|\n")
	var raw, cache, shared validateSummary
	for _, s := range r.Validate {
		if s.Unavailable != "" {
			fmt.Fprintf(&b, "| %s | %s | | | | |\n", s.Peer, s.Unavailable)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			s.Peer, s.OpsPerSec.Format(stats.Thousands), s.VsRaw.Format(stats.Fixed(1)),
			s.P50Micros.Format(stats.Compact), s.P99Micros.Format(stats.Compact), s.CPUMicros.Format(stats.Fixed(2)))
		switch s.Peer {
		case peerRaw:
			raw = s
		case peerCache:
			cache = s
		case peerShared:
			shared = s
		}
	}
	fmt.Fprintf(&b, "\nTargets, on the medians: the cache ≥ %.0f× the raw twin: %.1f×, %s (with ShareAttributes %.1f×, %s); the cache's p99 below the raw twin's p50: %s µs vs %s µs, %s.\n",
		cacheVsRawTarget, cache.VsRaw.Median, verdict(cache.VsRaw.Median >= cacheVsRawTarget), shared.VsRaw.Median, verdict(shared.VsRaw.Median >= cacheVsRawTarget),
		stats.Compact(cache.P99Micros.Median), stats.Compact(raw.P50Micros.Median), verdict(cache.P99Micros.Median < raw.P50Micros.Median))
	b.WriteString("The cache copies the user's attributes on every hit, so that each caller owns its map; with ShareAttributes every hit returns the cached map itself.\n")
	if i := slices.IndexFunc(r.Validate, func(s validateSummary) bool { return s.Peer == peerBareMap }); i >= 0 && r.Validate[i].OpsPerSec.Median > 0 {
		bare := r.Validate[i].OpsPerSec.Median
		fmt.Fprintf(&b, "The cache reaches %.0f%% of the bare map's median throughput, %.0f%% with ShareAttributes.\n", 100*cache.OpsPerSec.Median/bare, 100*shared.OpsPerSec.Median/bare)
	}

	v := r.Revocation
	fmt.Fprintf(&b, "\n## Revocation\n\nIn each of %d rounds, %s cached sessions of its own are deleted one autocommit DELETE each, back to back, on another connection "+
		"while %d workers validate them through a fresh cache, which learns of each delete only from the change log, read every %v. "+
		"Latency runs from the DELETE's acknowledgement to the first refusal any worker saw, so it is the wait for the cache's next read "+
		"of the log plus that read (a refusal seen before the acknowledgement arrived counts as 0: %d did, in all rounds). "+
		"Each round gives its own p50, p99 and max over its sessions; the table gives their spread over the rounds, "+
		"and the counts summed over the rounds.\n\n",
		len(v.Rounds), stats.Thousands(float64(v.Sessions)), r.Config.Workers, cachePollInterval, v.RefusedBeforeAck)
	b.WriteString("| p50 µs | p99 µs | max µs | reads of the log per s | validations | successes after a refusal | served past MaxLag | target |\n|---:|---:|---:|---:|---:|---:|---:|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %d | median p99 ≤ 50 ms and none served past MaxLag: %s |\n",
		v.P50Micros.Format(stats.Thousands), v.P99Micros.Format(stats.Thousands), v.MaxMicros.Format(stats.Thousands),
		v.PollsPerSecond.Format(stats.Thousands), stats.Thousands(float64(v.Validations)), v.SuccessesAfterRefusal, v.ServedPastBound, verdict(v.Met()))
	fmt.Fprintf(&b, "\nA success after a refusal is allowed within MaxLag (%v) of the delete: a refusal may come from the database "+
		"(a miss, or a read while the cache lagged) before the cache has read the delete from the log. "+
		"\"Served past MaxLag\" counts the successes of validations that began more than MaxLag after the delete's acknowledgement, which the cache promises never to serve.\n",
		cacheMaxLag)

	w := r.Wakeups
	fmt.Fprintf(&b, "\n## Wake-ups\n\n%d caches share the database, as %d processes would. A revocation either goes through the first cache, "+
		"which wakes the others with a NOTIFY after the delete has returned, or around every cache through the Store, as a Lucia v1 app's would, "+
		"which the caches learn of only at their next read of the log (every %v). Latency: %d revocations per path, the paths alternating, "+
		"from the delete's return to the first refusal by a second cache validating the session in a loop that yields the processor between validations. "+
		"The storm: %d goroutines delete for %v per path; the cost is per listening cache (reads of the log and wake-ups received per second), "+
		"wake-ups sent per second, and the database's commits per second (every transaction, the caches' reads included). "+
		"Idle, each cache reads the log %.0f times a second.\n\n",
		w.Caches, w.Caches, cachePollInterval, wakeupTrials, wakeupStormers, wakeupStorm, w.IdlePollsPerSecond)
	b.WriteString("| revocation | p50 µs | p99 µs | max µs | storm deletes/s | delete p99 µs | reads of the log /s per cache | wake-ups received /s per cache | wake-ups sent /s | commits/s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range w.Paths {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %s |\n", p.Path,
			stats.Thousands(p.P50Micros), stats.Thousands(p.P99Micros), stats.Thousands(p.MaxMicros),
			stats.Thousands(p.DeletesPerSecond), stats.Thousands(p.DeleteP99Micros), p.PollsPerSecond, p.WokenPerSecond, p.SentPerSecond, stats.Thousands(p.CommitsPerSecond))
	}

	fmt.Fprintf(&b, "\n## Write overhead of the triggers\n\nThe Store's writes with the migration's triggers ÷ without them, on two databases seeded alike at the same time "+
		"(the bench's, and a second one with the triggers dropped), each with half the workers, so that both runs of a pair see the same machine at the same moment; "+
		"the purge deletes %s dead sessions in batches of %d (PurgeDeadSessions) on both at once. "+
		"A SessionCache reads each database's change log every %v throughout: the triggers log only while a cache is registered, "+
		"so with them every change to a live session or user inserts a row into the log; without them nothing is logged and the cache reads an empty log. "+
		"\"Logged\" is the rows a run's transactions (its preparation and clean-up included) inserted into the log, the median of the runs with the triggers "+
		"and the most of any run without them. SetSession inserts, which the triggers ignore (its logged rows are its clean-up's deletes); "+
		"DeleteSession's clean-up deletes the live sessions prepared for it and not used; the purge's dead sessions are not logged.\n\n",
		stats.Thousands(float64(r.Config.DeadRows)), r.Config.PurgeBatch, cachePollInterval)
	b.WriteString("| write | with triggers | without | with ÷ without | logged with / without | target |\n|---|---:|---:|---:|---:|---|\n")
	for _, s := range r.Writes {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s / %d | ≥ %.1f: %s |\n",
			s.Operation, s.WithOps.Format(stats.Thousands), s.WithoutOps.Format(stats.Thousands), s.Ratio.Format(stats.Fixed(2)),
			stats.Thousands(float64(s.LoggedWith)), s.LoggedWithout, s.Target, verdict(s.Ratio.Median >= s.Target))
	}

	mem := r.Memory
	fmt.Fprintf(&b, "\n## Memory\n\nA cache with MaxEntries = %s, filled with as many sessions and their users (GetSessionAndUser), holding %s "+
		"(its shards hold an equal share of MaxEntries each, so one that draws more sessions evicts while another has room): "+
		"%.1f MiB of live heap, %s bytes per entry (the dataset's 40-character session ids, 15-character user ids, attributes username, plan and nickname). "+
		"The fill took %d passes: the cache does not keep a read sent to the database while its reading of the change log lags, or one an invalidation overtook, "+
		"so each session whose read may have been declined was read again (%s reads), until every session had been cached (and some evicted for room).\n",
		stats.Thousands(float64(mem.MaxEntries)), stats.Thousands(float64(mem.Entries)), float64(mem.HeapBytes)/(1<<20), stats.Thousands(mem.BytesPerEntry),
		mem.FillPasses, stats.Thousands(float64(mem.Reread)))

	b.WriteString("\n## Plans of the by-user reads (migration 20261202000000's (user_id, id) indexes)\n\n")
	for _, p := range r.Plans {
		fmt.Fprintf(&b, "- %s (user_id correlation %.2f): `%s`\n", p.Name, p.Correlation, p.Plan)
	}
	b.WriteString(explainPlans(r.Plans))
	fmt.Fprintf(&b, "\nReproduce: `%s`\n", r.Command)
	if err := os.WriteFile(filepath.Join(dir, "session-cache.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "session-cache.json"), r)
}

// explainPlans says in a few sentences why GetSessionsByUserID has a Sort
// or not, from explainByUser's plans.
func explainPlans(plans []byUserPlan) string {
	if len(plans) < 3 {
		return ""
	}
	asLeft, forced, analyzed := plans[0], plans[1], plans[2]
	sorts := func(p byUserPlan) bool { return strings.HasPrefix(p.Plan, "Sort") }
	if !sorts(asLeft) {
		return "\nThe index scan returns a user's sessions in id order: no Sort.\n"
	}
	var b strings.Builder
	b.WriteString("\nThe Sort comes from the plan, not the index: a bitmap heap scan returns rows in heap order, so ORDER BY id needs a Sort above it " +
		"although the (user_id, id) index holds them in order. ")
	if !sorts(forced) {
		fmt.Fprintf(&b, "With bitmap scans off the index scan returns them in order with no Sort, estimated at %s against the bitmap plan's %s: "+
			"a near tie the planner settles by how closely it believes the heap follows user_id; at correlation %.2f it costs an index scan's heap reads as mostly random. ",
			totalCost(forced.Plan), totalCost(asLeft.Plan), asLeft.Correlation)
	}
	if sorts(analyzed) {
		fmt.Fprintf(&b, "A fresh ANALYZE (correlation %.2f) keeps the bitmap plan. ", analyzed.Correlation)
	} else {
		fmt.Fprintf(&b, "After a fresh ANALYZE (correlation %.2f: the seed writes every user's sessions in two sweeps) the planner picks the index scan itself; "+
			"the statistics it had were the purge's, whose ANALYZE ran while the dead sessions, their user ids cycling through every user, filled the heap. ", analyzed.Correlation)
	}
	b.WriteString("Sessions are written in time order in production, so there the heap does not follow user_id and the bitmap plan, Sort included, is to be expected; " +
		"the Sort of a user's few rows costs microseconds.\n")
	return b.String()
}

// totalCost is the top node's total cost in a plan from explainWithCosts.
func totalCost(plan string) string {
	_, after, ok := strings.Cut(plan, "..")
	if !ok {
		return "?"
	}
	cost, _, _ := strings.Cut(after, " ")
	return cost
}
