package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/luciapg/luciapg/bench/internal/stats"
)

// pgbouncerSummary is one operation on one route over all rounds: median
// throughput and latencies, and the medians of its per-round ratios to
// the two direct routes.
type pgbouncerSummary struct {
	Route                string    `json:"route"`
	Operation            string    `json:"operation"`
	OpsPerSec            float64   `json:"ops_per_sec"`
	P50Micros            float64   `json:"p50_us"`
	P99Micros            float64   `json:"p99_us"`
	VsDirectExec         float64   `json:"vs_direct_exec"`
	RoundVsDirectExec    []float64 `json:"round_vs_direct_exec"`
	VsDirectDefault      float64   `json:"vs_direct_default"`
	RoundVsDirectDefault []float64 `json:"round_vs_direct_default"`
}

// summarizePgBouncer summarizes runs per operation, then route, in the
// order of pgbouncerOperations and pgbouncerRoutes. Each ratio divides a
// run by the direct run of the same operation in the same round; the
// summary's ratio is the median of those, not a ratio of medians.
func summarizePgBouncer(runs []pgbouncerRun) []pgbouncerSummary {
	type key struct {
		route, op string
		round     int
	}
	ops := map[key]float64{}
	for _, r := range runs {
		ops[key{r.Route, r.Operation, r.Round}] = r.OpsPerSec
	}
	var out []pgbouncerSummary
	for _, op := range pgbouncerOperations {
		for _, route := range pgbouncerRoutes {
			s := pgbouncerSummary{Route: route, Operation: op}
			var tput, p50, p99 []float64
			for _, r := range runs {
				if r.Route != route || r.Operation != op {
					continue
				}
				tput, p50, p99 = append(tput, r.OpsPerSec), append(p50, r.P50Micros), append(p99, r.P99Micros)
				if d := ops[key{routeDirectExec, op, r.Round}]; d > 0 {
					s.RoundVsDirectExec = append(s.RoundVsDirectExec, r.OpsPerSec/d)
				}
				if d := ops[key{routeDirectDefault, op, r.Round}]; d > 0 {
					s.RoundVsDirectDefault = append(s.RoundVsDirectDefault, r.OpsPerSec/d)
				}
			}
			if len(tput) == 0 {
				continue
			}
			s.OpsPerSec, s.P50Micros, s.P99Micros = stats.Median(tput), stats.Median(p50), stats.Median(p99)
			s.VsDirectExec, s.VsDirectDefault = stats.Median(s.RoundVsDirectExec), stats.Median(s.RoundVsDirectDefault)
			out = append(out, s)
		}
	}
	return out
}

func writePgBouncerReport(dir string, r pgbouncerReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Through PgBouncer vs direct\n\n%s; %s; 1-minute load average %s at the start, %s at the end "+
		"(a load above the CPU count means the machine was shared: read the ratios, not the absolute numbers). ",
		r.Machine, r.PgBouncer, r.LoadAverage[0], r.LoadAverage[1])
	fmt.Fprintf(&b, "%d goroutines run each operation on a database of %s users (%d sessions each). "+
		"**Direct:** they share a pgxpool of %d connections to PostgreSQL. "+
		"**PgBouncer:** each has its own client connection (a pgxpool of %d) to PgBouncer in transaction pooling mode, "+
		"which multiplexes them onto %d server connections — the case PgBouncer exists for. "+
		"Pools are opened in full before timing; each run is %v of warm-up then %v measured; %d round(s), "+
		"every route once per round in an order that rotates. Throughput and latencies are medians over the rounds; "+
		"\"÷ direct\" is the median of each round's throughput ÷ the direct route's in the same round (the rounds in brackets).\n\n",
		r.Clients, stats.Thousands(float64(r.Config.Users)), 2, r.ServerConns, r.Clients, r.ServerConns,
		r.Config.Warmup, r.Config.Duration, r.Config.Rounds)
	b.WriteString("`GetSessionAndUser` reads a random user's first session and the user; `SetSession` inserts a new session; " +
		"`ExtendSession` updates the expiries of a random user's second session (every write waits for its commit's WAL flush).\n")
	for _, op := range pgbouncerOperations {
		fmt.Fprintf(&b, "\n## %s\n\n", op)
		b.WriteString("| route, pgx `default_query_exec_mode` | ops/s | ÷ direct exec (per round) | ÷ direct default (per round) | p50 µs | p99 µs |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|\n")
		for _, s := range r.Summaries {
			if s.Operation != op {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %.2f (%s) | %.2f (%s) | %s | %s |\n", s.Route, stats.Thousands(s.OpsPerSec),
				s.VsDirectExec, ratios(s.RoundVsDirectExec), s.VsDirectDefault, ratios(s.RoundVsDirectDefault),
				stats.Thousands(s.P50Micros), stats.Thousands(s.P99Micros))
		}
	}
	b.WriteString("\npgx's default mode (`cache_statement`) is not a PgBouncer route: through PgBouncer in transaction mode it fails with " +
		"`prepared statement \"stmtcache_…\" already exists` (42P05), which `TestPgBouncerBreaksPgxDefaultMode` shows; " +
		"the conformance suite passes through PgBouncer in the three modes measured (`TestStoreConformanceThroughPgBouncer`).\n")
	fmt.Fprintf(&b, "\nReproduce (needs `apt-get install -y pgbouncer`): `%s`\n", r.Command)
	if err := os.WriteFile(filepath.Join(dir, "pgbouncer.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "pgbouncer.json"), r)
}
