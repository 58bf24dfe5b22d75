package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/machine"
	"github.com/luciapg/luciapg/bench/internal/stats"
	"github.com/luciapg/luciapg/internal/pgcluster"
)

// pgbouncerClients is how many goroutines drive each operation: through
// PgBouncer each has a client connection of its own, which PgBouncer
// multiplexes onto -pool server connections — the case it exists for.
const pgbouncerClients = 400

// The routes, each a pgx default_query_exec_mode directly or through
// PgBouncer. pgx's default (cache_statement) is only direct: through
// PgBouncer in transaction mode it fails (TestPgBouncerBreaksPgxDefaultMode).
const (
	routeDirectDefault = "direct, cache_statement (pgx's default)"
	routeDirectExec    = "direct, exec"
	routeBouncerExec   = "PgBouncer, exec"
	routeBouncerSimple = "PgBouncer, simple_protocol"
	routeBouncerDesc   = "PgBouncer, cache_describe"
)

var pgbouncerRoutes = []string{routeDirectDefault, routeDirectExec, routeBouncerExec, routeBouncerSimple, routeBouncerDesc}

// pgbouncerOperations are the hot operations measured on every route.
var pgbouncerOperations = []string{"GetSessionAndUser", "SetSession", "ExtendSession"}

// pgbouncerReport is the "pgbouncer" part: the hot operations through
// PgBouncer vs direct, per pgx exec mode.
type pgbouncerReport struct {
	Machine   machine.Machine `json:"machine"`
	Config    config          `json:"config"`
	Command   string          `json:"command"`
	PgBouncer string          `json:"pgbouncer"`
	// LoadAverage is /proc/loadavg's 1-minute figure at the start and
	// end of the part: how shared the machine was.
	LoadAverage [2]string          `json:"load_average_1m"`
	Clients     int                `json:"clients"`
	ServerConns int                `json:"server_connections"`
	Summaries   []pgbouncerSummary `json:"summaries"`
	Runs        []pgbouncerRun     `json:"runs"`
}

// pgbouncerRun is one measured run of one operation on one route.
type pgbouncerRun struct {
	Route     string  `json:"route"`
	Operation string  `json:"operation"`
	Round     int     `json:"round"`
	Calls     int64   `json:"calls"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
}

// runPgBouncer runs the "pgbouncer" part: a PgBouncer in transaction
// pooling mode in front of a database of the part's own, and every route
// once per round, in an order that rotates, so each round's ratios compare
// runs made moments apart.
func runPgBouncer(ctx context.Context, cfg config, m machine.Machine) error {
	logf("pgbouncer: seeding %d users", cfg.Users)
	db, err := createScratchDatabase(ctx, cfg.DatabaseURL, "pgbouncer", cfg.Users)
	if err != nil {
		return err
	}
	defer db.drop()
	bouncer, err := pgcluster.RunPgBouncer(cfg.DatabaseURL, cfg.Pool)
	if err != nil {
		return fmt.Errorf("starting PgBouncer: %w", err)
	}
	defer bouncer.Stop()
	logf("pgbouncer: %s on port %d, %d server connections", bouncer.Version, bouncer.Port, bouncer.PoolSize)

	// Direct, the 400 goroutines share the pool's server connections;
	// through PgBouncer, each has its own client connection.
	directExec, err := withExecMode(db.url, "exec")
	if err != nil {
		return err
	}
	urls := map[string]string{
		routeDirectDefault: db.url,
		routeDirectExec:    directExec,
		routeBouncerExec:   bouncer.URL(db.url, "exec"),
		routeBouncerSimple: bouncer.URL(db.url, "simple_protocol"),
		routeBouncerDesc:   bouncer.URL(db.url, "cache_describe"),
	}
	report := pgbouncerReport{Machine: m, Config: cfg, Command: commandLine(), PgBouncer: bouncer.Version,
		Clients: pgbouncerClients, ServerConns: cfg.Pool}
	report.LoadAverage[0] = loadAverage()
	for round := range cfg.Rounds {
		order := slices.Clone(pgbouncerRoutes)
		rotate := round % len(order)
		order = append(order[rotate:], order[:rotate]...)
		for ri, route := range order {
			conns := pgbouncerClients
			if route == routeDirectDefault || route == routeDirectExec {
				conns = cfg.Pool
			}
			runs, err := measureRoute(ctx, cfg, urls[route], conns, fmt.Sprintf("pgb%d_%d", round, ri))
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", route, round+1, err)
			}
			for _, r := range runs {
				r.Route, r.Round = route, round+1
				report.Runs = append(report.Runs, r)
				logf("pgbouncer round %d  %-40s %-18s %8.0f ops/s  p50 %8.1f µs  p99 %9.1f µs", r.Round, route, r.Operation, r.OpsPerSec, r.P50Micros, r.P99Micros)
			}
		}
	}
	report.LoadAverage[1] = loadAverage()
	report.Summaries = summarizePgBouncer(report.Runs)
	return writePgBouncerReport(cfg.Out, report)
}

// measureRoute opens a pool of conns connections to connString (closed before
// the next route opens: PgBouncer accepts 1,000 clients) and measures each
// operation from pgbouncerClients goroutines.
func measureRoute(ctx context.Context, cfg config, connString string, conns int, tag string) ([]pgbouncerRun, error) {
	pool, err := openFullPool(ctx, connString, conns)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	store := luciapg.New(pool)
	calls := map[string]func(context.Context, *worker) error{
		"GetSessionAndUser": func(ctx context.Context, w *worker) error {
			_, _, err := store.GetSessionAndUser(ctx, dataset.SessionID(w.user(cfg.Users), 0))
			return err
		},
		"SetSession": func(ctx context.Context, w *worker) error {
			return store.SetSession(ctx, newSession(freshID("pgb_session", w), w.user(cfg.Users)))
		},
		"ExtendSession": func(ctx context.Context, w *worker) error {
			_, err := store.ExtendSession(ctx, dataset.SessionID(w.user(cfg.Users), 1), dataset.LiveExpires, dataset.LiveExpires)
			return err
		},
	}
	var runs []pgbouncerRun
	for i, op := range pgbouncerOperations {
		ph := &phase{tag: tag + "_" + op}
		m, err := runPhase(ctx, ph, pgbouncerClients, uint64(i), cfg.Warmup, cfg.Duration, calls[op])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		runs = append(runs, pgbouncerRun{Operation: op, Calls: m.ops, OpsPerSec: m.opsPerSec(),
			P50Micros: stats.Micros(stats.Percentile(m.latencies, 50)), P99Micros: stats.Micros(stats.Percentile(m.latencies, 99))})
	}
	return runs, nil
}

// loadAverage is the 1-minute load average, or "unknown" off Linux.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b) + " unknown")[0]
}

// withExecMode returns connString (a URL) with pgx's
// default_query_exec_mode set to mode.
func withExecMode(connString, mode string) (string, error) {
	u, err := url.Parse(connString)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", err)
	}
	q := u.Query()
	q.Set("default_query_exec_mode", mode)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// openFullPool opens a pool of exactly size connections to url, all
// opened up front so that no measurement pays for a connect.
func openFullPool(ctx context.Context, connString string, size int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = int32(size), int32(size)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	conns := make([]*pgxpool.Conn, 0, size)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range size {
		c, err := pool.Acquire(ctx)
		if err != nil {
			pool.Close()
			return nil, err
		}
		conns = append(conns, c)
	}
	return pool, nil
}
