package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/stats"
	"github.com/luciapg/luciapg/sessioncache"
)

// The session cache's triggers, as migration 20261203000000 creates them,
// dropped on the comparison's second database. They log only while a
// SessionCache is registered (see measureTriggerOverhead).
const (
	dropCacheTriggers = `DROP TRIGGER luciapg_session_cache_session ON auth_session;
DROP TRIGGER luciapg_session_cache_user ON auth_user;
DROP TRIGGER luciapg_session_cache_session_truncate ON auth_session;
DROP TRIGGER luciapg_session_cache_user_truncate ON auth_user`
	// The first transaction id a run can have, and the changes the
	// transactions from there on logged. A SessionCache deletes only rows
	// read at least 30 s ago, so none of a run's rows is gone when counted.
	changeLogMark = `SELECT pg_snapshot_xmax(pg_current_snapshot())::text`
	changesLogged = `SELECT count(*) FROM luciapg_session_cache_change WHERE xid >= $1::text::xid8`
	// Live sessions to delete: a dead one would not fire the trigger.
	prepareLiveDoomedSessions = `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT 'doomed_session_' || $1 || '_' || g, 'u' || lpad((g % $3::int)::text, 14, '0'), $4::bigint, $4::bigint FROM generate_series(0, $2::bigint - 1) AS g`
)

// triggerRun is one measured run of one write with the triggers on or off.
// Logged counts the changes the run's transactions wrote to the change
// log, its preparation and clean-up included.
type triggerRun struct {
	Operation string  `json:"operation"`
	Triggers  bool    `json:"triggers"`
	Round     int     `json:"round"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Logged    int64   `json:"changes_logged"`
}

// triggerSummary is one write's throughput with the triggers ÷ without,
// per round (Ratio is their spread), each side's throughput spread over
// the rounds, and the target.
type triggerSummary struct {
	Operation   string       `json:"operation"`
	Target      float64      `json:"target"`
	WithOps     stats.Spread `json:"with_ops_per_sec"`
	WithoutOps  stats.Spread `json:"without_ops_per_sec"`
	Ratio       stats.Spread `json:"ratio"`
	RoundRatios []float64    `json:"round_ratios"`
	// LoggedWith is the median of the with-triggers runs' logged changes;
	// LoggedWithout the most any run without them logged (0 unless the
	// triggers were not dropped).
	LoggedWith    int64 `json:"changes_logged_with"`
	LoggedWithout int64 `json:"changes_logged_without"`
}

const purgeOperation = "purge of dead sessions (rows/s)"

// triggerWrites are the Store writes the triggers could slow down.
// SetSession inserts, which the triggers ignore; the other two change live
// rows, so with the triggers and a registered cache each call logs one
// change.
var triggerWrites = []operation{
	mustOperation("SetSession"),
	{
		name: "DeleteSession (live sessions)",
		store: func(ctx context.Context, e *env, w *worker) error {
			id, err := preparedID("doomed_session", w)
			if err != nil {
				return err
			}
			return e.store.DeleteSession(ctx, id)
		},
		prepare: func(ctx context.Context, e *env, tag string, n int64) error {
			return exec(ctx, e, prepareLiveDoomedSessions, tag, n, e.users, dataset.LiveExpires)
		},
		cleanup: func(ctx context.Context, e *env, tag string) error {
			return exec(ctx, e, cleanupDoomedSessions, tag)
		},
	},
	{
		name: "UpdateUserAttributes",
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.UpdateUserAttributes(ctx, dataset.UserID(w.user(e.users)), map[string]any{"nickname": w.phase.tag})
			return err
		},
	},
}

func mustOperation(name string) operation {
	op, ok := operationNamed(name)
	if !ok {
		panic("bench: no operation " + name)
	}
	return op
}

// measureTriggerOverhead runs each write, and a purge of cfg.DeadRows dead
// sessions, on two databases at once, seeded alike: the bench's, with the
// triggers, and a second one without them, each with half the workers.
// Both runs of a pair see the same machine at the same moment, which runs
// one after the other on a shared machine do not (the load moves between
// them). A SessionCache reads each database's change log throughout:
// without a registered cache the triggers return at once, so the runs
// "with" would measure triggers that log nothing; without the triggers it
// reads an empty log, so both sides pay for the reads.
func measureTriggerOverhead(ctx context.Context, cfg config, db *scratchDatabase, pool *pgxpool.Pool, users int) ([]triggerRun, error) {
	logf("cache: seeding %d users into a second database, without the triggers", users)
	plain, err := createScratchDatabase(ctx, cfg.DatabaseURL, "cache_plain", users)
	if err != nil {
		return nil, err
	}
	defer plain.drop()
	plainPool, err := plain.pool(ctx, cfg.Pool)
	if err != nil {
		return nil, err
	}
	defer plainPool.Close()
	if _, err := plainPool.Exec(ctx, dropCacheTriggers); err != nil {
		return nil, err
	}
	half := cfg
	half.Workers = max(1, cfg.Workers/2)
	sides := []*triggerSide{
		{triggers: true, url: db.url, e: &env{pool: pool, store: luciapg.New(pool), users: users}},
		{triggers: false, url: plain.url, e: &env{pool: plainPool, store: luciapg.New(plainPool), users: users}},
	}
	for _, side := range sides {
		cache, err := startSessionCache(ctx, side.e.store, sessioncache.Config{ConnString: side.url})
		if err != nil {
			return nil, err
		}
		defer cache.Close()
		side.cache = cache
	}
	var runs []triggerRun
	for round := range cfg.Rounds {
		for i, op := range triggerWrites {
			pair, err := bothAtOnce(sides, func(side *triggerSide) (triggerRun, error) {
				run := triggerRun{Operation: op.name, Triggers: side.triggers, Round: round + 1}
				err := countLogged(ctx, side.e.pool, &run.Logged, func() error {
					r, err := measure(ctx, half, side.e, op, storeVariant, round, uint64(round*100+i), 0) // the same calls both sides
					run.OpsPerSec = r.OpsPerSec
					return err
				})
				if err != nil {
					return run, fmt.Errorf("%s: %w", op.name, err)
				}
				return run, checkLogged(run, op.name != "SetSession")
			})
			if err != nil {
				return nil, err
			}
			runs = append(runs, pair...)
			logf("cache round %d  %-30s with triggers %9.0f ops/s (%d changes logged)  without %9.0f ops/s", round+1, op.name, pair[0].OpsPerSec, pair[0].Logged, pair[1].OpsPerSec)
		}
		if cfg.DeadRows == 0 {
			continue
		}
		pair, err := bothAtOnce(sides, func(side *triggerSide) (triggerRun, error) {
			run := triggerRun{Operation: purgeOperation, Triggers: side.triggers, Round: round + 1}
			err := countLogged(ctx, side.e.pool, &run.Logged, func() (err error) {
				run.OpsPerSec, err = purgeOnce(ctx, cfg, side.e, users)
				return err
			})
			return run, err
		})
		if err != nil {
			return nil, err
		}
		runs = append(runs, pair...)
		logf("cache round %d  %-30s with triggers %9.0f rows/s  without %9.0f rows/s", round+1, purgeOperation, pair[0].OpsPerSec, pair[1].OpsPerSec)
	}
	for _, side := range sides {
		if s := side.cache.Stats(); s.Reconnects > 0 || !s.Serving {
			return nil, fmt.Errorf("a session cache lost the change log during the runs (%d reconnects, serving %v)", s.Reconnects, s.Serving)
		}
	}
	return runs, nil
}

// triggerSide is one of the two databases of the trigger comparison.
type triggerSide struct {
	triggers bool
	url      string
	e        *env
	cache    *sessioncache.Cache
}

// bothAtOnce runs fn on each side at the same time and returns their runs
// in the sides' order.
func bothAtOnce(sides []*triggerSide, fn func(*triggerSide) (triggerRun, error)) ([]triggerRun, error) {
	runs := make([]triggerRun, len(sides))
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for i, side := range sides {
		wg.Go(func() { runs[i], errs[i] = fn(side) })
	}
	wg.Wait()
	return runs, errors.Join(errs...)
}

// countLogged runs fn and sets *logged to the changes logged meanwhile.
func countLogged(ctx context.Context, pool *pgxpool.Pool, logged *int64, fn func() error) error {
	var mark string
	if err := pool.QueryRow(ctx, changeLogMark).Scan(&mark); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	return pool.QueryRow(ctx, changesLogged, mark).Scan(logged)
}

// checkLogged fails a run whose triggers did not do what it compares: a
// write of live rows with the triggers must log, and nothing may log
// without them.
func checkLogged(run triggerRun, changesLive bool) error {
	switch {
	case run.Triggers && changesLive && run.Logged == 0:
		return fmt.Errorf("%s, round %d: the triggers logged nothing while a session cache was registered", run.Operation, run.Round)
	case !run.Triggers && run.Logged != 0:
		return fmt.Errorf("%s, round %d: %d changes logged with the triggers dropped", run.Operation, run.Round, run.Logged)
	}
	return nil
}

// purgeOnce seeds cfg.DeadRows dead sessions and times PurgeDeadSessions.
func purgeOnce(ctx context.Context, cfg config, e *env, users int) (float64, error) {
	if err := dataset.SeedDeadSessions(ctx, e.pool, cfg.DeadRows, users, time.Now().Add(-time.Hour).UnixMilli()); err != nil {
		return 0, err
	}
	if err := exec(ctx, e, "VACUUM ANALYZE auth_session"); err != nil {
		return 0, err
	}
	began := time.Now()
	deleted, err := e.store.PurgeDeadSessions(ctx, time.Now(), luciapg.PurgeOptions{BatchSize: cfg.PurgeBatch})
	took := time.Since(began)
	if err != nil {
		return 0, err
	}
	if deleted != int64(cfg.DeadRows) {
		return 0, fmt.Errorf("PurgeDeadSessions deleted %d sessions, want %d", deleted, cfg.DeadRows)
	}
	return float64(deleted) / took.Seconds(), exec(ctx, e, "VACUUM auth_session")
}

func summarizeTriggers(runs []triggerRun) []triggerSummary {
	names := []string{}
	for _, op := range triggerWrites {
		names = append(names, op.name)
	}
	names = append(names, purgeOperation)
	var out []triggerSummary
	for _, name := range names {
		s := triggerSummary{Operation: name, Target: 0.9}
		if name == purgeOperation {
			s.Target = 0.8
		}
		with, without := map[int]float64{}, map[int]float64{}
		var w, wo, logged []float64
		for _, r := range runs {
			if r.Operation != name {
				continue
			}
			if r.Triggers {
				with[r.Round], w = r.OpsPerSec, append(w, r.OpsPerSec)
				logged = append(logged, float64(r.Logged))
			} else {
				without[r.Round], wo = r.OpsPerSec, append(wo, r.OpsPerSec)
				s.LoggedWithout = max(s.LoggedWithout, r.Logged)
			}
		}
		if len(w) == 0 {
			continue
		}
		for round := 1; round <= len(w); round++ {
			if without[round] > 0 {
				s.RoundRatios = append(s.RoundRatios, with[round]/without[round])
			}
		}
		s.WithOps, s.WithoutOps, s.Ratio = stats.SpreadOf(w), stats.SpreadOf(wo), stats.SpreadOf(s.RoundRatios)
		s.LoggedWith = int64(stats.Median(logged))
		out = append(out, s)
	}
	return out
}
