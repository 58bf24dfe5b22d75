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
	fmt.Fprintf(&b, "# Session cache\n\n%s. %d workers, pool of %d, %v warm-up then %v measured per run, %d rounds.\n\n",
		r.Machine, r.Config.Workers, r.Config.Pool, r.Config.Warmup, r.Config.Duration, r.Config.Rounds)

	fmt.Fprintf(&b, "## Validating a session: %s hot sessions\n\n", stats.Thousands(cacheHotSessions))
	fmt.Fprintf(&b, "Each worker validates a random one of the hot sessions (each with its user), which are all cached. "+
		"Every peer runs once per round, in an order that rotates; \"× raw\" is the median of each round's throughput ÷ the raw twin's. "+
		"Lucia v1 is interop/lucia-v1/lucia.js (lucia-auth 1.8.0, @lucia-auth/adapter-postgresql 1.0.1 on node-postgres) "+
		"with the same concurrency on the same database; the bare map is a map behind an RWMutex emptied by the same change log, "+
		"read with the same query every %v as the cache, with no bounds and no auth checks: the ideal the cache's overhead is measured against.\n\n", cachePollInterval)
	b.WriteString("| peer | ops/s | × raw (per round) | p50 µs | p99 µs | client CPU µs/op |\n|---|---:|---:|---:|---:|---:|\n")
	var raw, cache, shared validateSummary
	for _, s := range r.Validate {
		if s.Unavailable != "" {
			fmt.Fprintf(&b, "| %s | %s | | | | |\n", s.Peer, s.Unavailable)
			continue
		}
		cpu := "—"
		if s.CPUMicros > 0 {
			cpu = fmt.Sprintf("%.2f", s.CPUMicros)
		}
		fmt.Fprintf(&b, "| %s | %s | %.2f (%s) | %.1f | %.1f | %s |\n",
			s.Peer, stats.Thousands(s.OpsPerSec), s.VsRaw, ratios(s.RoundVsRaw), s.P50Micros, s.P99Micros, cpu)
		switch s.Peer {
		case peerRaw:
			raw = s
		case peerCache:
			cache = s
		case peerShared:
			shared = s
		}
	}
	fmt.Fprintf(&b, "\nTargets: the cache ≥ %.0f× the raw twin: %.1f×, %s (with ShareAttributes %.1f×, %s); the cache's p99 below the raw twin's p50: %.1f µs vs %.1f µs, %s.\n",
		cacheVsRawTarget, cache.VsRaw, verdict(cache.VsRaw >= cacheVsRawTarget), shared.VsRaw, verdict(shared.VsRaw >= cacheVsRawTarget),
		cache.P99Micros, raw.P50Micros, verdict(cache.P99Micros < raw.P50Micros))
	b.WriteString("The cache copies the user's attributes on every hit, so that each caller owns its map; with ShareAttributes every hit returns the cached map itself.\n")
	if i := slices.IndexFunc(r.Validate, func(s validateSummary) bool { return s.Peer == peerBareMap }); i >= 0 && r.Validate[i].OpsPerSec > 0 {
		bare := r.Validate[i].OpsPerSec
		fmt.Fprintf(&b, "The cache reaches %.0f%% of the bare map's throughput, %.0f%% with ShareAttributes.\n", 100*cache.OpsPerSec/bare, 100*shared.OpsPerSec/bare)
	}

	v := r.Revocation
	fmt.Fprintf(&b, "\n## Revocation\n\n%s cached sessions are deleted one autocommit DELETE each, back to back, on another connection "+
		"while %d workers validate them through the cache, which learns of each delete only from the change log, read every %v. "+
		"Latency runs from the DELETE's acknowledgement to the first refusal any worker saw, so it is the wait for the cache's next read "+
		"of the log plus that read (a refusal seen before the acknowledgement arrived counts as 0: %d did).\n\n",
		stats.Thousands(float64(v.Sessions)), r.Config.Workers, cachePollInterval, v.RefusedBeforeAck)
	b.WriteString("| p50 µs | p99 µs | max µs | validations | successes after a refusal | reads of the log per s | target |\n|---:|---:|---:|---:|---:|---:|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %.0f | p99 ≤ 50 ms and 0 successes: %s |\n",
		stats.Thousands(v.P50Micros), stats.Thousands(v.P99Micros), stats.Thousands(v.MaxMicros), stats.Thousands(float64(v.Validations)), v.SuccessesAfterRefusal, v.PollsPerSecond,
		verdict(v.P99Micros <= revocationP99Target && v.SuccessesAfterRefusal == 0))

	fmt.Fprintf(&b, "\n## Write overhead of the triggers\n\nThe Store's writes with the migration's triggers ÷ without them, on two databases seeded alike at the same time "+
		"(the bench's, and a second one with the triggers dropped), each with half the workers, so that both runs of a pair see the same machine at the same moment; "+
		"the purge deletes %s dead sessions in batches of %d (PurgeDeadSessions) on both at once. "+
		"A SessionCache reads each database's change log every %v throughout: the triggers log only while a cache is registered, "+
		"so with them every change to a live session or user inserts a row into the log; without them nothing is logged and the cache reads an empty log. "+
		"\"Logged\" is the rows a run's transactions (its preparation and clean-up included) inserted into the log, the median of the runs with the triggers "+
		"and the most of any run without them. SetSession inserts, which the triggers ignore (its logged rows are its clean-up's deletes); "+
		"DeleteSession's clean-up deletes the live sessions prepared for it and not used; the purge's dead sessions are not logged.\n\n",
		stats.Thousands(float64(r.Config.DeadRows)), r.Config.PurgeBatch, cachePollInterval)
	b.WriteString("| write | with triggers | without | with ÷ without (per round) | logged with / without | target |\n|---|---:|---:|---:|---:|---|\n")
	for _, s := range r.Writes {
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f (%s) | %s / %d | ≥ %.1f: %s |\n",
			s.Operation, stats.Thousands(s.WithOps), stats.Thousands(s.WithoutOps), s.Ratio, ratios(s.RoundRatios),
			stats.Thousands(float64(s.LoggedWith)), s.LoggedWithout, s.Target, verdict(s.Ratio >= s.Target))
	}

	mem := r.Memory
	fmt.Fprintf(&b, "\n## Memory\n\nA cache with MaxEntries = %s, filled with as many sessions and their users (GetSessionAndUser), holding %s: "+
		"%.1f MiB of live heap, %s bytes per entry (the dataset's 40-character session ids, 15-character user ids, attributes username, plan and nickname).\n",
		stats.Thousands(float64(mem.MaxEntries)), stats.Thousands(float64(mem.Entries)), float64(mem.HeapBytes)/(1<<20), stats.Thousands(mem.BytesPerEntry))

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
