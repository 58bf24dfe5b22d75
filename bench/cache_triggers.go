package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
)

// The session cache's triggers, as migration 20261202000000 creates them;
// the bench drops and recreates them on its own database to compare.
const (
	dropCacheTriggers = `DROP TRIGGER luciapg_session_cache_session ON auth_session;
DROP TRIGGER luciapg_session_cache_user ON auth_user;
DROP TRIGGER luciapg_session_cache_session_truncate ON auth_session;
DROP TRIGGER luciapg_session_cache_user_truncate ON auth_user`
	createCacheTriggers = `CREATE TRIGGER luciapg_session_cache_session AFTER UPDATE OR DELETE ON auth_session FOR EACH ROW
    WHEN (OLD.idle_expires >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    EXECUTE FUNCTION luciapg_session_cache_notify();
CREATE TRIGGER luciapg_session_cache_user AFTER UPDATE OR DELETE ON auth_user FOR EACH ROW
    EXECUTE FUNCTION luciapg_session_cache_notify();
CREATE TRIGGER luciapg_session_cache_session_truncate AFTER TRUNCATE ON auth_session FOR EACH STATEMENT
    EXECUTE FUNCTION luciapg_session_cache_notify();
CREATE TRIGGER luciapg_session_cache_user_truncate AFTER TRUNCATE ON auth_user FOR EACH STATEMENT
    EXECUTE FUNCTION luciapg_session_cache_notify()`
	// Live sessions to delete: a dead one would not fire the trigger.
	prepareLiveDoomedSessions = `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT 'doomed_session_' || $1 || '_' || g, 'u' || lpad((g % $3::int)::text, 14, '0'), $4::bigint, $4::bigint FROM generate_series(0, $2::bigint - 1) AS g`
)

// triggerRun is one measured run of one write with the triggers on or off.
type triggerRun struct {
	Operation string  `json:"operation"`
	Triggers  bool    `json:"triggers"`
	Round     int     `json:"round"`
	OpsPerSec float64 `json:"ops_per_sec"`
}

// triggerSummary is one write's throughput with the triggers ÷ without,
// per round, and the target.
type triggerSummary struct {
	Operation   string    `json:"operation"`
	Target      float64   `json:"target"`
	WithOps     float64   `json:"with_ops_per_sec"`
	WithoutOps  float64   `json:"without_ops_per_sec"`
	Ratio       float64   `json:"ratio"`
	RoundRatios []float64 `json:"round_ratios"`
}

const purgeOperation = "purge of dead sessions (rows/s)"

// triggerWrites are the Store writes the triggers could slow down.
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
// sessions, with and without the triggers, alternating which goes first.
func measureTriggerOverhead(ctx context.Context, cfg config, db *scratchDatabase, pool *pgxpool.Pool, users int) ([]triggerRun, error) {
	e := &env{pool: pool, store: luciapg.New(pool), users: users}
	var runs []triggerRun
	on := true
	defer func() {
		if !on {
			_ = exec(context.WithoutCancel(ctx), e, createCacheTriggers)
		}
	}()
	for round := range cfg.Rounds {
		for _, triggers := range []bool{round%2 == 0, round%2 != 0} {
			if triggers != on {
				sql := dropCacheTriggers
				if triggers {
					sql = createCacheTriggers
				}
				if err := exec(ctx, e, sql); err != nil {
					return nil, err
				}
				on = triggers
			}
			for i, op := range triggerWrites {
				r, err := measure(ctx, cfg, e, op, storeVariant, round, uint64(round*100+i), 0) // the same calls both ways
				if err != nil {
					return nil, fmt.Errorf("%s: %w", op.name, err)
				}
				runs = append(runs, triggerRun{Operation: op.name, Triggers: triggers, Round: round + 1, OpsPerSec: r.OpsPerSec})
				logf("cache round %d  triggers %-5v %-30s %9.0f ops/s", round+1, triggers, op.name, r.OpsPerSec)
			}
			if cfg.DeadRows > 0 {
				rate, err := purgeOnce(ctx, cfg, e, users)
				if err != nil {
					return nil, err
				}
				runs = append(runs, triggerRun{Operation: purgeOperation, Triggers: triggers, Round: round + 1, OpsPerSec: rate})
				logf("cache round %d  triggers %-5v %-30s %9.0f rows/s", round+1, triggers, purgeOperation, rate)
			}
		}
	}
	return runs, nil
}

// purgeOnce seeds cfg.DeadRows dead sessions and times DeleteDeadSessions.
func purgeOnce(ctx context.Context, cfg config, e *env, users int) (float64, error) {
	if err := dataset.SeedDeadSessions(ctx, e.pool, cfg.DeadRows, users, time.Now().Add(-time.Hour).UnixMilli()); err != nil {
		return 0, err
	}
	if err := exec(ctx, e, "VACUUM ANALYZE auth_session"); err != nil {
		return 0, err
	}
	began := time.Now()
	deleted, err := e.store.DeleteDeadSessions(ctx, time.Now().UnixMilli(), cfg.PurgeBatch)
	took := time.Since(began)
	if err != nil {
		return 0, err
	}
	if deleted != int64(cfg.DeadRows) {
		return 0, fmt.Errorf("DeleteDeadSessions deleted %d sessions, want %d", deleted, cfg.DeadRows)
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
		var w, wo []float64
		for _, r := range runs {
			if r.Operation != name {
				continue
			}
			if r.Triggers {
				with[r.Round], w = r.OpsPerSec, append(w, r.OpsPerSec)
			} else {
				without[r.Round], wo = r.OpsPerSec, append(wo, r.OpsPerSec)
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
		s.WithOps, s.WithoutOps, s.Ratio = median(w), median(wo), median(s.RoundRatios)
		out = append(out, s)
	}
	return out
}
