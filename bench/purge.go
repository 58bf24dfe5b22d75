package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/machine"
	"github.com/luciapg/luciapg/bench/internal/stats"
)

// purgeReaderTarget bounds the readers' p99 during a purge, as a multiple
// of their p99 without one.
const purgeReaderTarget = 3

// purgeRun is one round of the purge part.
type purgeRun struct {
	Round           int     `json:"round"`
	Deleted         int64   `json:"deleted"`
	PurgeSeconds    float64 `json:"purge_seconds"`
	RowsPerSec      float64 `json:"rows_per_sec"`
	BaseOpsPerSec   float64 `json:"readers_ops_per_sec_without"`
	BaseP50Micros   float64 `json:"readers_p50_us_without"`
	BaseP99Micros   float64 `json:"readers_p99_us_without"`
	DuringOpsPerSec float64 `json:"readers_ops_per_sec_during"`
	DuringP50Micros float64 `json:"readers_p50_us_during"`
	DuringP99Micros float64 `json:"readers_p99_us_during"`
	P99Ratio        float64 `json:"p99_ratio"`
}

type purgeReport struct {
	Machine machine.Machine `json:"machine"`
	Config  config          `json:"config"`
	Command string          `json:"command"`
	Runs    []purgeRun      `json:"runs"`
}

// runPurge measures GetSessionAndUser readers without a purge, then while
// one connection purges the dead sessions with PurgeDeadSessions, round
// after round.
func runPurge(ctx context.Context, cfg config, m machine.Machine) error {
	logf("purge: seeding %d users", cfg.Users)
	db, err := createScratchDatabase(ctx, cfg.DatabaseURL, "purge", cfg.Users)
	if err != nil {
		return err
	}
	defer db.drop()
	readers, err := db.pool(ctx, cfg.Pool)
	if err != nil {
		return err
	}
	defer readers.Close()
	purger, err := db.pool(ctx, 1)
	if err != nil {
		return err
	}
	defer purger.Close()
	e := &env{pool: readers, store: luciapg.New(readers), users: cfg.Users}
	read, _ := operationNamed("GetSessionAndUser")
	report := purgeReport{Machine: m, Config: cfg, Command: commandLine()}

	for round := range cfg.Rounds {
		logf("purge: round %d, seeding %d dead sessions", round+1, cfg.DeadRows)
		if err := dataset.SeedDeadSessions(ctx, readers, cfg.DeadRows, cfg.Users, 1); err != nil {
			return err
		}
		if _, err := readers.Exec(ctx, "VACUUM ANALYZE auth_session"); err != nil {
			return err
		}
		seed := uint64(round)
		base, err := runPhase(ctx, &phase{}, cfg.Workers, seed, cfg.Warmup, cfg.Duration, func(ctx context.Context, w *worker) error {
			return read.store(ctx, e, w)
		})
		if err != nil {
			return fmt.Errorf("readers without purge: %w", err)
		}

		// Readers run from before the purge starts until it ends.
		stop := make(chan struct{})
		during := make(chan struct {
			m   measurement
			err error
		}, 1)
		go func() {
			m, err := drive(ctx, newWorkers(&phase{}, cfg.Workers, seed+1000), time.Now().Add(time.Hour), stop, true, func(ctx context.Context, w *worker) error {
				return read.store(ctx, e, w)
			})
			during <- struct {
				m   measurement
				err error
			}{m, err}
		}()
		began := time.Now()
		deleted, err := luciapg.New(purger).PurgeDeadSessions(ctx, time.Now(), luciapg.PurgeOptions{BatchSize: cfg.PurgeBatch})
		took := time.Since(began)
		close(stop)
		d := <-during
		if err != nil {
			return fmt.Errorf("PurgeDeadSessions: %w", err)
		}
		if d.err != nil {
			return fmt.Errorf("readers during purge: %w", d.err)
		}
		if deleted != int64(cfg.DeadRows) {
			return fmt.Errorf("PurgeDeadSessions deleted %d sessions, want %d", deleted, cfg.DeadRows)
		}
		r := purgeRun{
			Round: round + 1, Deleted: deleted, PurgeSeconds: took.Seconds(), RowsPerSec: float64(deleted) / took.Seconds(),
			BaseOpsPerSec: base.opsPerSec(), BaseP50Micros: stats.Micros(stats.Percentile(base.latencies, 50)), BaseP99Micros: stats.Micros(stats.Percentile(base.latencies, 99)),
			DuringOpsPerSec: d.m.opsPerSec(), DuringP50Micros: stats.Micros(stats.Percentile(d.m.latencies, 50)), DuringP99Micros: stats.Micros(stats.Percentile(d.m.latencies, 99)),
		}
		r.P99Ratio = r.DuringP99Micros / r.BaseP99Micros
		report.Runs = append(report.Runs, r)
		logf("purge: round %d  %d rows in %.1f s (%.0f rows/s); readers p99 %.0f µs without, %.0f µs during (%.2fx)",
			r.Round, r.Deleted, r.PurgeSeconds, r.RowsPerSec, r.BaseP99Micros, r.DuringP99Micros, r.P99Ratio)
		if _, err := readers.Exec(ctx, "VACUUM ANALYZE auth_session"); err != nil {
			return err
		}
	}
	return writePurgeReport(cfg.Out, report)
}

func writePurgeReport(dir string, r purgeReport) error {
	var rowsPerSec, p99Ratios, baseP99, duringP99, baseOps, duringOps []float64
	for _, run := range r.Runs {
		rowsPerSec = append(rowsPerSec, run.RowsPerSec)
		p99Ratios = append(p99Ratios, run.P99Ratio)
		baseP99 = append(baseP99, run.BaseP99Micros)
		duringP99 = append(duringP99, run.DuringP99Micros)
		baseOps = append(baseOps, run.BaseOpsPerSec)
		duringOps = append(duringOps, run.DuringOpsPerSec)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Purge: %s dead sessions under read load\n\n", stats.Thousands(float64(r.Config.DeadRows)))
	fmt.Fprintf(&b, "%s. %d users with %d live sessions each; %d GetSessionAndUser workers on a pool of %d read live sessions "+
		"for %v without a purge, then for as long as one more connection runs PurgeDeadSessions (batches of %d) "+
		"over %s dead sessions. Medians of %d rounds; per-round values in purge.json.\n\n",
		r.Machine, r.Config.Users, 2, r.Config.Workers, r.Config.Pool, r.Config.Duration, r.Config.PurgeBatch,
		stats.Thousands(float64(r.Config.DeadRows)), r.Config.Rounds)
	b.WriteString("| purged rows/s | readers ops/s without / during | readers p99 µs without / during | p99 during ÷ without (per round) | target |\n")
	b.WriteString("|---:|---:|---:|---|---|\n")
	ratio := stats.Median(p99Ratios)
	fmt.Fprintf(&b, "| %s | %s / %s | %s / %s | %.2f (%s) | ≤ %d: %s |\n",
		stats.Thousands(stats.Median(rowsPerSec)), stats.Thousands(stats.Median(baseOps)), stats.Thousands(stats.Median(duringOps)),
		stats.Thousands(stats.Median(baseP99)), stats.Thousands(stats.Median(duringP99)), ratio, ratios(p99Ratios), purgeReaderTarget, verdict(ratio <= purgeReaderTarget))
	fmt.Fprintf(&b, "\nReproduce: `%s`\n", r.Command)
	if err := os.WriteFile(filepath.Join(dir, "purge.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "purge.json"), r)
}
