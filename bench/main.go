// Command bench is luciapg's load generator. It measures every hot
// operation of the adapter contract through the Store and through a
// hand-written single-statement pgx twin (package rawpgx), in the same
// process, in alternating rounds, and reports throughput, latency and the
// Store ÷ raw ratio; then how latency holds as the tables grow (scale), and
// what purging a million dead sessions does to readers (purge), and the
// session cache against its peers, Lucia v1 included (cache); and the hot
// operations through a real PgBouncer vs direct (pgbouncer, not a default);
// and a login's latency with and without a second factor (login, not a
// default).
//
// Each part runs in a database of its own, created on the server and
// dropped at the end. Results go to -out as Markdown, JSON and PNG:
//
//	go run ./bench                                   # load, scale, purge and cache (make bench)
//	go run ./bench -parts cache -dead 1000000        # nine rounds, like load
//	go run ./bench -parts load -duration 3s
//	go run ./bench -parts load -ops GetSessionAndUser,GetKey
//	go run ./bench -parts pgbouncer -duration 2s -warmup 500ms  # three rounds, like scale, purge and login
//	go run ./bench -parts login -rounds 5 -duration 3s
//	go run ./bench -parts load -rounds 2 -duration 1s -warmup 200ms -out /tmp/bench  # a quick try
//
// Each report begins with the machine and the commit it measured and ends
// with the command that produced it; every number is given as its median
// and spread over the rounds (median [Q1–Q3] (min–max)).
//
// The machine should be otherwise idle; on a shared one, compare the
// per-round ratios, not single numbers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luciapg/luciapg/bench/internal/machine"
)

// Rounds by default: the load and cache parts compare throughputs whose
// rounds on a shared machine disagree by ±25%, so they take nine, enough
// for quartiles that are actual rounds (the third and seventh); the
// others, slower and compared against wider targets, take three.
const (
	manyRounds    = 9
	defaultRounds = 3
)

// roundsFor is the rounds part runs: -rounds if given, else its default.
func (c config) roundsFor(part string) int {
	switch {
	case c.Rounds > 0:
		return c.Rounds
	case part == "load" || part == "cache":
		return manyRounds
	default:
		return defaultRounds
	}
}

// config is the command line.
type config struct {
	DatabaseURL string        `json:"-"`
	Users       int           `json:"users"`
	Workers     int           `json:"workers"`
	Pool        int           `json:"pool"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"`
	Rounds      int           `json:"rounds"`
	Operations  []string      `json:"operations"`
	ScaleUsers  []int         `json:"scale_users"`
	DeadRows    int           `json:"purge_dead_sessions"`
	PurgeBatch  int           `json:"purge_batch_size"`
	Parts       []string      `json:"-"`
	Out         string        `json:"-"`
	CPUProfile  string        `json:"-"`
	LuciaDir    string        `json:"-"`
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.DatabaseURL, "url", defaultURL(), "PostgreSQL server to create the benchmark databases on (default: $DATABASE_URL, $TEST_DATABASE_URL or the local server)")
	fs.IntVar(&cfg.Users, "users", 10000, "users seeded for the load and purge parts (U)")
	fs.IntVar(&cfg.Workers, "workers", 8, "concurrent workers (C)")
	fs.IntVar(&cfg.Pool, "pool", 8, "connections in the pool (P)")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured warm-up before each measured run")
	fs.DurationVar(&cfg.Duration, "duration", 4*time.Second, "length of each measured run")
	fs.IntVar(&cfg.Rounds, "rounds", 0, fmt.Sprintf("interleaved rounds of every part (the measured variant and its baseline alternate within each); 0: %d for load and cache, %d for the others", manyRounds, defaultRounds))
	ops := fs.String("ops", "all", "comma-separated operations to run in the load part, or all")
	scale := fs.String("scale", "10000,100000,1000000", "user counts for the scale part")
	fs.IntVar(&cfg.DeadRows, "dead", 1_000_000, "dead sessions the purge part deletes")
	fs.IntVar(&cfg.PurgeBatch, "batch", 1000, "PurgeDeadSessions batch size in the purge part")
	parts := fs.String("parts", "load,scale,purge,cache", "parts to run: load, scale, purge, cache, pgbouncer, login")
	fs.StringVar(&cfg.LuciaDir, "lucia", "interop/lucia-v1", "directory of lucia.js, whose npm packages are installed, for the cache part's Lucia v1 row; empty leaves the row out")
	fs.StringVar(&cfg.Out, "out", "bench/results", "directory for results (Markdown, JSON, PNG)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.Users < 1 || cfg.Workers < 1 || cfg.Pool < 1 || cfg.Rounds < 0 || cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.PurgeBatch < 1 || cfg.DeadRows < 0 {
		return config{}, fmt.Errorf("-users, -workers, -pool, -duration and -batch must be positive, -rounds and -dead not negative")
	}
	cfg.Parts = splitList(*parts)
	for _, p := range cfg.Parts {
		if !slices.Contains([]string{"load", "scale", "purge", "cache", "pgbouncer", "login"}, p) {
			return config{}, fmt.Errorf("unknown part %q", p)
		}
	}
	if *ops == "all" {
		for _, op := range operations {
			cfg.Operations = append(cfg.Operations, op.name)
		}
	} else {
		cfg.Operations = splitList(*ops)
		for _, name := range cfg.Operations {
			if _, ok := operationNamed(name); !ok {
				return config{}, fmt.Errorf("unknown operation %q", name)
			}
		}
	}
	for _, s := range splitList(*scale) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return config{}, fmt.Errorf("-scale: %q is not a user count", s)
		}
		cfg.ScaleUsers = append(cfg.ScaleUsers, n)
	}
	return cfg, nil
}

func defaultURL() string {
	for _, name := range []string{"DATABASE_URL", "TEST_DATABASE_URL"} {
		if u := os.Getenv(name); u != "" {
			return u
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func operationNamed(name string) (operation, bool) {
	for _, op := range operations {
		if op.name == name {
			return op, true
		}
	}
	return operation{}, false
}

func run(ctx context.Context, cfg config) error {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	m, err := machine.Describe(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	logf("%s", m)
	for _, part := range cfg.Parts {
		var err error
		cfg := cfg
		cfg.Rounds = cfg.roundsFor(part) // what the part's report records
		switch part {
		case "load":
			err = runLoad(ctx, cfg, m)
		case "scale":
			err = runScale(ctx, cfg, m)
		case "purge":
			err = runPurge(ctx, cfg, m)
		case "cache":
			err = runCache(ctx, cfg, m)
		case "pgbouncer":
			err = runPgBouncer(ctx, cfg, m)
		case "login":
			err = runLogin(ctx, cfg, m)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", part, err)
		}
	}
	return nil
}

// logf reports progress on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
