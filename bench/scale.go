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

// scaleOperations are the reads and per-user operations whose latency must
// not grow with the tables.
var scaleOperations = []string{
	"GetSessionAndUser", "GetSession", "GetKey", "GetSessionsByUserID",
	"DeleteSessionsByUserID", "SetSession", "UpdateKeyPassword",
}

// scaleTargets are the operations the issue bounds: p50 at the largest size
// within this factor of the smallest.
var scaleTargets = map[string]float64{"GetSessionsByUserID": 2, "DeleteSessionsByUserID": 2}

// plannedStatements are EXPLAINed at each size, for a row in the middle of
// the seeded range, to show which index serves them.
var plannedStatements = []struct {
	name, sql string
	arg       func(user int) string
}{
	{"GetSessionAndUser", `SELECT s.id, s.user_id, s.active_expires, s.idle_expires, u.* FROM auth_session AS s JOIN auth_user AS u ON u.id = s.user_id WHERE s.id = $1`,
		func(user int) string { return dataset.SessionID(user, 0) }},
	{"GetSessionsByUserID", `SELECT id, user_id, active_expires, idle_expires FROM auth_session WHERE user_id = $1 ORDER BY id`, dataset.UserID},
	{"DeleteSessionsByUserID", `DELETE FROM auth_session WHERE user_id = $1`, dataset.UserID},
	{"GetKey", `SELECT id, user_id, primary_key, hashed_password, expires FROM auth_key WHERE id = $1`, dataset.KeyID},
}

// scaleResult is one operation at one size, medians over the rounds.
type scaleResult struct {
	Users     int     `json:"users"`
	Operation string  `json:"operation"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
}

type scaleReport struct {
	Machine machine.Machine   `json:"machine"`
	Config  config            `json:"config"`
	Command string            `json:"command"`
	Results []scaleResult     `json:"results"`
	Plans   map[string]string `json:"plans"` // "<users> <statement>" -> plan
	Seeding map[int]float64   `json:"seeding_seconds"`
}

func runScale(ctx context.Context, cfg config, m machine.Machine) error {
	report := scaleReport{Machine: m, Config: cfg, Command: commandLine(), Plans: map[string]string{}, Seeding: map[int]float64{}}
	for _, users := range cfg.ScaleUsers {
		began := time.Now()
		logf("scale: seeding %d users", users)
		db, err := createScratchDatabase(ctx, cfg.DatabaseURL, fmt.Sprintf("scale%d", users), users)
		if err != nil {
			return err
		}
		report.Seeding[users] = time.Since(began).Seconds()
		results, plans, err := scaleAt(ctx, cfg, db, users)
		db.drop()
		if err != nil {
			return fmt.Errorf("%d users: %w", users, err)
		}
		report.Results = append(report.Results, results...)
		for name, plan := range plans {
			report.Plans[fmt.Sprintf("%d %s", users, name)] = plan
		}
	}
	return writeScaleReport(cfg.Out, report)
}

func scaleAt(ctx context.Context, cfg config, db *scratchDatabase, users int) ([]scaleResult, map[string]string, error) {
	pool, err := db.pool(ctx, cfg.Pool)
	if err != nil {
		return nil, nil, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return nil, nil, err
	}
	plans := map[string]string{}
	for _, st := range plannedStatements {
		plan, err := explain(ctx, pool, st.sql, st.arg(users/2))
		if err != nil {
			return nil, nil, fmt.Errorf("EXPLAIN %s: %w", st.name, err)
		}
		plans[st.name] = plan
	}
	e := &env{pool: pool, store: luciapg.New(pool), users: users}
	runs := map[string]map[string][]float64{}
	fastest := map[string]float64{}
	for round := range cfg.Rounds {
		for i, name := range scaleOperations {
			op, _ := operationNamed(name)
			r, err := measure(ctx, cfg, e, op, storeVariant, round, uint64(round*1000+i), fastest[name])
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name, err)
			}
			fastest[name] = max(fastest[name], r.OpsPerSec)
			if runs[name] == nil {
				runs[name] = map[string][]float64{}
			}
			runs[name]["ops"] = append(runs[name]["ops"], r.OpsPerSec)
			runs[name]["p50"] = append(runs[name]["p50"], r.P50Micros)
			runs[name]["p99"] = append(runs[name]["p99"], r.P99Micros)
			logf("scale %8d users, round %d  %-24s %9.0f ops/s  p50 %6.0f µs  p99 %7.0f µs", users, round+1, name, r.OpsPerSec, r.P50Micros, r.P99Micros)
		}
	}
	var out []scaleResult
	for _, name := range scaleOperations {
		out = append(out, scaleResult{
			Users: users, Operation: name,
			OpsPerSec: stats.Median(runs[name]["ops"]),
			P50Micros: stats.Median(runs[name]["p50"]),
			P99Micros: stats.Median(runs[name]["p99"]),
		})
	}
	return out, plans, nil
}

// explain returns the plan of sql with its parameter, its nodes separated
// by slashes.
func explain(ctx context.Context, db luciapg.DB, sql, arg string) (string, error) {
	rows, err := db.Query(ctx, "EXPLAIN (COSTS OFF) "+sql, arg)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	return strings.Join(lines, " / "), rows.Err()
}

func writeScaleReport(dir string, r scaleReport) error {
	sizes := r.Config.ScaleUsers
	at := func(users int, op string) scaleResult {
		for _, x := range r.Results {
			if x.Users == users && x.Operation == op {
				return x
			}
		}
		return scaleResult{}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Scale: latency as the tables grow\n\n%s. Store only, %d workers on a pool of %d, %v warm-up then %v per run, "+
		"median of %d rounds at each size. Every user has one key and %d sessions, seeded by SQL.\n\n",
		r.Machine, r.Config.Workers, r.Config.Pool, r.Config.Warmup, r.Config.Duration, r.Config.Rounds, 2)
	b.WriteString("| operation |")
	for _, n := range sizes {
		fmt.Fprintf(&b, " p50 µs at %s |", stats.Thousands(float64(n)))
	}
	for _, n := range sizes {
		fmt.Fprintf(&b, " p99 µs at %s |", stats.Thousands(float64(n)))
	}
	b.WriteString(" p50 largest ÷ smallest | target |\n|---|")
	b.WriteString(strings.Repeat("---:|", 2*len(sizes)+1))
	b.WriteString("---|\n")
	for _, op := range scaleOperations {
		fmt.Fprintf(&b, "| %s |", op)
		for _, n := range sizes {
			fmt.Fprintf(&b, " %s |", stats.Thousands(at(n, op).P50Micros))
		}
		for _, n := range sizes {
			fmt.Fprintf(&b, " %s |", stats.Thousands(at(n, op).P99Micros))
		}
		growth := at(sizes[len(sizes)-1], op).P50Micros / at(sizes[0], op).P50Micros
		target := "—"
		if limit, ok := scaleTargets[op]; ok {
			target = fmt.Sprintf("≤ %.0f: %s", limit, verdict(growth <= limit))
		}
		fmt.Fprintf(&b, " %.2f | %s |\n", growth, target)
	}
	b.WriteString("\nPlans (EXPLAIN, costs off) at the largest size:\n\n")
	for _, st := range plannedStatements {
		fmt.Fprintf(&b, "- %s: `%s`\n", st.name, r.Plans[fmt.Sprintf("%d %s", sizes[len(sizes)-1], st.name)])
	}
	b.WriteString("\nSeeding time (users, keys, sessions, ANALYZE): ")
	for i, n := range sizes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s users %.0f s", stats.Thousands(float64(n)), r.Seeding[n])
	}
	fmt.Fprintf(&b, ".\n\nReproduce: `%s`\n", r.Command)
	if err := os.WriteFile(filepath.Join(dir, "scale.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "scale.json"), r)
}
