// Command e2e is luciapg's end-to-end HTTP benchmark (make bench-e2e): the
// same protected endpoint — read the session cookie, validate the session,
// answer the user's id — served by each stack as an OS process of its own
// on this machine and database, driven by one Go load generator at fixed
// concurrency, in rounds interleaved across the stacks; then each stack's
// login and logout throughput, and its revocation time from a logout on
// one instance to the first refusal on a second instance.
//
// The stacks (stacks.go): a Go net/http ceiling; luciapg's authhttp over
// the Store, and over the session cache (this program re-executed with
// -serve); a Node http ceiling; Lucia v1; Better Auth without and with its
// cookie cache (node/server.mjs, installed by npm ci from its lock file).
// A stack that cannot start is reported as MISSING with the reason, and
// the run exits 1 naming it, after writing the results it has.
//
//	go run ./bench/e2e                                  # make bench-e2e
//	go run ./bench/e2e -rounds 1 -duration 2s -sessions 200 -users 20
//	go run ./bench/e2e -stacks go-ceiling,luciapg-cache -cpuprofile-server luciapg-cache=/tmp/cache.prof
//
// Results go to -out: e2e.md, e2e.json and e2e.png.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

// config is the command line.
type config struct {
	AdminURL       string            `json:"-"`
	Database       string            `json:"database"`
	Out            string            `json:"-"`
	NodeDir        string            `json:"-"`
	Stacks         []string          `json:"stacks"`
	Rounds         int               `json:"rounds"`
	Warmup         time.Duration     `json:"warmup_ns"`
	Duration       time.Duration     `json:"duration_ns"`
	Conns          int               `json:"connections"`
	Sessions       int               `json:"sessions"`
	Users          int               `json:"users"`
	LoginConns     int               `json:"login_connections"`
	LoginDuration  time.Duration     `json:"login_duration_ns"`
	Logouts        int               `json:"logouts_per_round"`
	Revocations    int               `json:"revocations_per_round"`
	RevocationCap  time.Duration     `json:"revocation_cap_ns"`
	CPUProfiles    map[string]string `json:"-"`
	CPUProfile     string            `json:"-"`
	SignupParallel int               `json:"-"`
}

func main() {
	// Server mode: this binary is also the Go stacks' server.
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := serveMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "e2e server:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}

// serveMain parses the server mode's flags: -serve STACK -url URL
// [-addr HOST:PORT] [-cpuprofile FILE].
func serveMain(args []string) error {
	fs := flag.NewFlagSet("e2e -serve", flag.ContinueOnError)
	stack := fs.String("serve", "", "the Go stack to serve")
	databaseURL := fs.String("url", "", "the luciapg database")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile written between profile-start and profile-stop on standard input")
	if err := fs.Parse(append([]string{"-serve"}, args...)); err != nil {
		return err
	}
	return serveGo(*stack, *databaseURL, *addr, *cpuprofile)
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	fs.StringVar(&cfg.AdminURL, "url", defaultURL(), "PostgreSQL server to create the benchmark's databases on (default: $DATABASE_URL, $TEST_DATABASE_URL or the local server)")
	fs.StringVar(&cfg.Database, "db", "luciapg_e2e", "database for luciapg and Lucia v1 (dropped and created again); Better Auth gets <db>_better_auth")
	fs.StringVar(&cfg.Out, "out", "bench/results", "directory for e2e.md, e2e.json and e2e.png")
	fs.StringVar(&cfg.NodeDir, "node-dir", "bench/e2e/node", "directory of server.mjs and its node_modules")
	list := fs.String("stacks", "all", "comma-separated stacks to run, or all")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "rounds, each running every stack in turn")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured warm-up before each measured run")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measured length of each protected-endpoint run")
	fs.IntVar(&cfg.Conns, "conns", 32, "keep-alive connections of the protected-endpoint runs, and of the logouts")
	fs.IntVar(&cfg.Sessions, "sessions", 1000, "sessions per stack the protected endpoint is driven with")
	fs.IntVar(&cfg.Users, "users", 50, "users per stack, made through its signup (each hashes a password); the sessions are spread over them")
	fs.IntVar(&cfg.LoginConns, "login-conns", 8, "concurrent logins")
	fs.DurationVar(&cfg.LoginDuration, "login-duration", 5*time.Second, "measured length of each login run")
	fs.IntVar(&cfg.Logouts, "logouts", 500, "logouts per stack and round")
	fs.IntVar(&cfg.Revocations, "revocations", 50, "revocation trials per stack and round")
	fs.DurationVar(&cfg.RevocationCap, "revocation-cap", 10*time.Second, "how long a revoked session is polled on the second instance before it is reported still served")
	profiles := fs.String("cpuprofile-server", "", "stack=file[,stack=file]: CPU profile of that Go stack's first server during the protected-endpoint rounds")
	fs.IntVar(&cfg.SignupParallel, "signup-conns", 4, "concurrent signups while setting up")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the load generator (this process) during the protected-endpoint rounds")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.AdminURL == "" { // make bench-e2e with DATABASE_URL unset passes -url ""
		cfg.AdminURL = defaultURL()
	}
	if cfg.Rounds < 1 || cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.Conns < 1 || cfg.Sessions < 1 || cfg.Users < 1 ||
		cfg.LoginConns < 1 || cfg.LoginDuration <= 0 || cfg.Logouts < 1 || cfg.Revocations < 1 || cfg.RevocationCap <= 0 || cfg.SignupParallel < 1 {
		return config{}, errors.New("-rounds, -duration, -conns, -sessions, -users, -login-conns, -login-duration, -logouts, -revocations, -revocation-cap and -signup-conns must be positive")
	}
	if cfg.Users > cfg.Sessions {
		cfg.Users = cfg.Sessions
	}
	if *list == "all" {
		for _, s := range stacks {
			cfg.Stacks = append(cfg.Stacks, s.name)
		}
	} else {
		for _, name := range strings.Split(*list, ",") {
			name = strings.TrimSpace(name)
			if _, ok := stackNamed(name); !ok {
				return config{}, fmt.Errorf("unknown stack %q", name)
			}
			if !slices.Contains(cfg.Stacks, name) {
				cfg.Stacks = append(cfg.Stacks, name)
			}
		}
	}
	cfg.CPUProfiles = map[string]string{}
	if *profiles != "" {
		for _, item := range strings.Split(*profiles, ",") {
			name, file, ok := strings.Cut(item, "=")
			s, known := stackNamed(name)
			if !ok || file == "" || !known || s.lang != langGo {
				return config{}, fmt.Errorf("-cpuprofile-server: %q is not goStack=file (go-ceiling, luciapg-store or luciapg-cache)", item)
			}
			cfg.CPUProfiles[name] = file
		}
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

// progress receives the run's progress and the servers' standard error:
// standard error, or the smoke test's log. It must be safe for
// concurrent writes.
var progress io.Writer = os.Stderr

// logf reports progress.
func logf(format string, args ...any) {
	fmt.Fprintf(progress, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func splitLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
