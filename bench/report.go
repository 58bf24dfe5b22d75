package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/luciapg/luciapg/bench/internal/chart"
	"github.com/luciapg/luciapg/bench/internal/stats"
)

// commandLine is how this run was started, for the reports, with
// arguments quoted for a POSIX shell where they need it.
func commandLine() string {
	words := []string{"go run ./bench"}
	for _, arg := range os.Args[1:] {
		if strings.ContainsAny(arg, " '\"\\$`!*?&|;<>()#~") {
			arg = "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
		}
		words = append(words, arg)
	}
	return strings.Join(words, " ")
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// thousands formats x rounded to an integer with thousands separators.
func ratios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

func verdict(met bool) string {
	if met {
		return "yes"
	}
	return "**no**"
}

// loadTable renders the load summaries as a Markdown table.
func loadTable(r loadReport) string {
	var b strings.Builder
	b.WriteString("| operation | Store ops/s | raw ops/s | Store ÷ raw | per round | target | Store p50 / p99 µs | raw p50 / p99 µs | client CPU µs/op Store / raw |\n")
	b.WriteString("|---|---:|---:|---:|---|---|---:|---:|---:|\n")
	for _, s := range r.Summaries {
		target := "—"
		if s.Target > 0 {
			target = fmt.Sprintf("≥ %.2f: %s", s.Target, verdict(s.Met()))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f | %s | %s | %s / %s | %s / %s | %.1f / %.1f |\n",
			s.Operation, stats.Thousands(s.StoreOpsPerSec), stats.Thousands(s.RawOpsPerSec), s.Ratio, ratios(s.RoundRatios), target,
			stats.Thousands(s.StoreP50Micros), stats.Thousands(s.StoreP99Micros), stats.Thousands(s.RawP50Micros), stats.Thousands(s.RawP99Micros),
			s.StoreCPUMicros, s.RawCPUMicros)
	}
	return b.String()
}

func writeLoadReport(dir string, r loadReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Load: Store vs raw pgx\n\n")
	fmt.Fprintf(&b, "%s. %d users (one primary key with a 148-character hash and %d sessions each), %d workers on a pool of %d, "+
		"%v warm-up then %v measured per run, %d rounds; Store and raw alternate going first. "+
		"Throughput, latencies and client CPU (this process's CPU time per call) are medians over the rounds; "+
		"\"per round\" lists each round's Store ÷ raw throughput ratio.\n\n",
		r.Machine, r.Config.Users, 2, r.Config.Workers, r.Config.Pool, r.Config.Warmup, r.Config.Duration, r.Config.Rounds)
	b.WriteString(loadTable(r))
	fmt.Fprintf(&b, "\n![ops/s per operation, Store vs raw pgx](load.png)\n\nReproduce: `%s`\n", r.Command)
	if err := os.WriteFile(filepath.Join(dir, "load.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "load.json"), r); err != nil {
		return err
	}
	bars := make([]chart.BarGroup, len(r.Summaries))
	for i, s := range r.Summaries {
		bars[i] = chart.BarGroup{Label: s.Operation, Values: []float64{s.StoreOpsPerSec, s.RawOpsPerSec}, Note: fmt.Sprintf("%.2fx", s.Ratio)}
	}
	title := fmt.Sprintf("luciapg: ops/s per operation (%d users, %d workers, pool %d; median of %d rounds)", r.Config.Users, r.Config.Workers, r.Config.Pool, r.Config.Rounds)
	return chart.WriteBarChart(filepath.Join(dir, "load.png"), title, []string{"Store", "raw pgx"}, "Store / raw", bars)
}
