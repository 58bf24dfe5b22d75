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

// ratios lists per-round ratios, two decimals each.
func ratios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

// spreadNote says how the reports' "median [Q1–Q3] (min–max)" cells read.
const spreadNote = "Each number is given as median [Q1–Q3] (min–max) over the rounds: half the rounds lie between Q1 and Q3; " +
	"a ratio's spread is over each round's own ratio. Every run's values are in the JSON."

func verdict(met bool) string {
	if met {
		return "yes"
	}
	return "**no**"
}

// loadTable renders the load summaries as two Markdown tables:
// throughput and its ratio, then latencies and client CPU.
func loadTable(r loadReport) string {
	var b strings.Builder
	b.WriteString("| operation | Store ops/s | raw ops/s | Store ÷ raw | target |\n|---|---:|---:|---:|---|\n")
	for _, s := range r.Summaries {
		target := "—"
		if s.Target > 0 {
			target = fmt.Sprintf("≥ %.2f: %s", s.Target, verdict(s.Met()))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.Operation,
			s.StoreOpsPerSec.Format(stats.Thousands), s.RawOpsPerSec.Format(stats.Thousands), s.Ratio.Format(stats.Fixed(2)), target)
	}
	b.WriteString("\n| operation | Store p50 µs | raw p50 µs | Store p99 µs | raw p99 µs | client CPU µs/op Store | client CPU µs/op raw |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range r.Summaries {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Operation,
			s.StoreP50Micros.Format(stats.Thousands), s.RawP50Micros.Format(stats.Thousands),
			s.StoreP99Micros.Format(stats.Thousands), s.RawP99Micros.Format(stats.Thousands),
			s.StoreCPUMicros.Format(stats.Fixed(1)), s.RawCPUMicros.Format(stats.Fixed(1)))
	}
	return b.String()
}

func writeLoadReport(dir string, r loadReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Load: Store vs raw pgx\n\n")
	fmt.Fprintf(&b, "%s. %d users (one primary key with a 148-character hash and %d sessions each), %d workers on a pool of %d, "+
		"%v warm-up then %v measured per run, %d rounds; in each round every operation runs on the Store and on raw pgx, "+
		"the two alternating which goes first. Client CPU is this process's CPU time per call. %s\n\n",
		r.Machine, r.Config.Users, 2, r.Config.Workers, r.Config.Pool, r.Config.Warmup, r.Config.Duration, r.Config.Rounds, spreadNote)
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
		bars[i] = chart.BarGroup{Label: s.Operation, Values: []float64{s.StoreOpsPerSec.Median, s.RawOpsPerSec.Median}, Note: fmt.Sprintf("%.2fx", s.Ratio.Median)}
	}
	title := fmt.Sprintf("luciapg: ops/s per operation (%d users, %d workers, pool %d; median of %d rounds)", r.Config.Users, r.Config.Workers, r.Config.Pool, r.Config.Rounds)
	return chart.WriteBarChart(filepath.Join(dir, "load.png"), title, []string{"Store", "raw pgx"}, "Store / raw", bars)
}
