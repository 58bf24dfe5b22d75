package main

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg/bench/dataset"
)

// The Store's by-user reads, as db/queries has them.
const (
	sessionsByUserSQL = "SELECT id, user_id, active_expires, idle_expires FROM auth_session WHERE user_id = $1 ORDER BY id"
	keysByUserSQL     = "SELECT id, user_id, primary_key, hashed_password, expires FROM auth_key WHERE user_id = $1 ORDER BY id"
)

// byUserPlan is one EXPLAIN of a by-user read, with the planner's estimate
// of how closely the heap follows user_id when it was made.
type byUserPlan struct {
	Name        string  `json:"name"`
	Correlation float64 `json:"user_id_correlation"`
	Plan        string  `json:"plan"`
}

// explainByUser explains the by-user reads on the database as the trigger
// runs left it (their last ANALYZE of auth_session saw the purge's dead
// sessions, whose user ids cycle through every user, interleaved in the
// heap), GetSessionsByUserID again with bitmap scans off, and once more
// after a fresh ANALYZE.
func explainByUser(ctx context.Context, pool *pgxpool.Pool, users int) ([]byUserPlan, error) {
	user := dataset.UserID(users / 2)
	steps := []struct {
		name, setup, table, sql string
	}{
		{"GetSessionsByUserID", "", "auth_session", sessionsByUserSQL},
		{"GetSessionsByUserID, enable_bitmapscan off", "SET LOCAL enable_bitmapscan = off", "auth_session", sessionsByUserSQL},
		{"GetSessionsByUserID after ANALYZE auth_session", "ANALYZE auth_session", "auth_session", sessionsByUserSQL},
		{"GetKeysByUserID", "", "auth_key", keysByUserSQL},
	}
	var plans []byUserPlan
	for _, s := range steps {
		p := byUserPlan{Name: s.name}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if s.setup != "" {
				if _, err := tx.Exec(ctx, s.setup); err != nil {
					return err
				}
			}
			if err := tx.QueryRow(ctx, "SELECT coalesce(correlation, 0) FROM pg_stats WHERE tablename = $1 AND attname = 'user_id'", s.table).Scan(&p.Correlation); err != nil {
				return err
			}
			var err error
			p.Plan, err = explainWithCosts(ctx, tx, s.sql, user)
			return err
		})
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// explainWithCosts is EXPLAIN's plan on one line, costs included.
func explainWithCosts(ctx context.Context, tx pgx.Tx, sql, arg string) (string, error) {
	rows, err := tx.Query(ctx, "EXPLAIN "+sql, arg)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " / "), err
}
