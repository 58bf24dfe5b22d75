package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

const (
	defaultPruneBatchSize = 1000
	maxPruneBatchSize     = 100_000
)

// pruneSummary is what prune reports.
type pruneSummary struct {
	DeadSessions int64 `json:"dead_sessions"`
	Deleted      int64 `json:"deleted"`
	Batches      int   `json:"batches"`
	DryRun       bool  `json:"dry_run"`
	Interrupted  bool  `json:"interrupted,omitempty"`
}

func sessionsPruneFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	batchSize := fs.Int("batch-size", defaultPruneBatchSize, "delete at most `N` sessions per statement")
	dryRun := fs.Bool("dry-run", false, "count the dead sessions, delete nothing")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args); err != nil {
			return err
		}
		if *batchSize < 1 || *batchSize > maxPruneBatchSize {
			return usageErrorf("--batch-size must be between 1 and %d", maxPruneBatchSize)
		}
		pool, err := c.connect(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		summary, err := pruneDeadSessions(ctx, c, pool, c.now(), *batchSize, *dryRun)
		if err != nil && !summary.Interrupted {
			return err
		}
		if c.opts.json {
			if err := printJSON(c.stdout, summary); err != nil {
				return err
			}
		} else {
			printPruneSummary(c, summary)
		}
		if summary.Interrupted {
			return &exitError{code: exitInterrupted, msg: "sessions prune: interrupted; run it again to finish"}
		}
		return nil
	}
}

func pruneDeadSessions(ctx context.Context, c *cmdContext, pool *pgxpool.Pool, now time.Time, batchSize int, dryRun bool) (pruneSummary, error) {
	summary := pruneSummary{DryRun: dryRun}
	store := luciapg.New(pool)
	dead, err := store.CountDeadSessions(ctx, now)
	if err != nil {
		return summary, fmt.Errorf("counting dead sessions: %w", err)
	}
	summary.DeadSessions = dead
	if dryRun || summary.DeadSessions == 0 {
		return summary, nil
	}
	bar := newProgress(c.stderr, c.stderrIsTerminal, "dead sessions deleted", summary.DeadSessions)
	defer bar.finish()
	deleted, err := store.PurgeDeadSessions(ctx, now, luciapg.PurgeOptions{
		BatchSize: batchSize,
		AfterBatch: func(deleted int64, batches int) {
			summary.Batches = batches
			bar.update(deleted)
		},
	})
	summary.Deleted = deleted
	if err != nil {
		// Ctrl-C stops the purge between batches; what was deleted stays
		// deleted and the summary says so.
		summary.Interrupted = ctx.Err() != nil
		return summary, fmt.Errorf("deleting dead sessions: %w", err)
	}
	return summary, nil
}

func printPruneSummary(c *cmdContext, s pruneSummary) {
	switch {
	case s.DryRun:
		fmt.Fprintf(c.stdout, "%s would be deleted (dry run: nothing was deleted).\n", plural(int(s.DeadSessions), "dead session", "dead sessions"))
	case s.Interrupted:
		fmt.Fprintf(c.stdout, "Deleted %d of %s in %s before the interruption.\n", s.Deleted, plural(int(s.DeadSessions), "dead session", "dead sessions"), plural(s.Batches, "batch", "batches"))
	default:
		fmt.Fprintf(c.stdout, "Deleted %s in %s.\n", plural(int(s.Deleted), "dead session", "dead sessions"), plural(s.Batches, "batch", "batches"))
	}
}
