// Command chaos runs luciapg's fault load (package faultload) against a
// fresh database for a while, terminating the Store's backends throughout
// and restarting the whole PostgreSQL server once in the middle, then
// audits the data against what every call returned and checks that the
// same Store works again. Sessions are also validated through a
// sessioncache.Cache over the Store while the load revokes them behind
// the cache's back: a revoked session the cache serves more than its
// MaxLag after the revocation was acknowledged is a failure. It exits
// non-zero if any call hung, failed with anything but a lost connection,
// left the data inconsistent, or the cache broke its promise.
//
// It disrupts every client of the server, so it is run by hand (make
// chaos), never by make test or CI:
//
//	go run ./bench/chaos -restart 'pg_ctlcluster --skip-systemctl-redirect 15 main restart'
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/faultload"
	"github.com/luciapg/luciapg/sessioncache"
)

// cacheConfig is the session cache's configuration: the defaults, spelled
// out because MaxLag is the promise the run checks.
var cacheConfig = sessioncache.Config{PollInterval: 10 * time.Millisecond, MaxLag: 50 * time.Millisecond}

// localURL is the server used when TEST_DATABASE_URL is unset: a developer
// machine's PostgreSQL with trust authentication on the loopback interface.
const localURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func main() {
	serverURL := flag.String("url", envOr("TEST_DATABASE_URL", localURL), "URL of the server's maintenance database (superuser)")
	restart := flag.String("restart", "", "shell command that restarts the server (required)")
	duration := flag.Duration("duration", time.Minute, "how long the load runs")
	workers := flag.Int("workers", 6, "concurrent workers")
	poolSize := flag.Int("pool", 6, "connections in the Store's pool")
	killEvery := flag.Int64("kill-every", 60, "terminate the Store's backends after this many calls")
	flag.Parse()
	if *restart == "" {
		fmt.Fprintln(os.Stderr, "chaos: -restart is required (the command that restarts the PostgreSQL server)")
		os.Exit(2)
	}
	if err := run(*serverURL, *restart, *duration, *workers, int32(*poolSize), *killEvery); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("chaos: PASS")
}

func run(serverURL, restartCmd string, duration time.Duration, workers int, poolSize int32, killEvery int64) error {
	ctx := context.Background()
	dbURL, drop, err := createDatabase(ctx, serverURL)
	if err != nil {
		return err
	}
	defer drop()
	if _, err := luciapg.MigrateConnString(ctx, dbURL); err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	cfg.MaxConns = poolSize
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := luciapg.New(pool)
	load := faultload.New(store, 30*time.Second)
	load.Backoff = 10 * time.Millisecond
	cacheCfg := cacheConfig
	cacheCfg.ConnString = dbURL
	cache, err := sessioncache.New(ctx, store, cacheCfg)
	if err != nil {
		return fmt.Errorf("session cache: %w", err)
	}
	defer cache.Close()
	load.Validator = cache
	load.Revocations = faultload.NewRevocations(cache, cacheCfg.MaxLag, 30*time.Second)

	stop := make(chan struct{})
	loadDone := make(chan struct{})
	started := time.Now()
	go func() {
		defer close(loadDone)
		load.Run("chaos", workers, 0, stop)
	}()

	terminated, busy, killRounds := 0, 0, 0
	restarted := false
	var restartTook time.Duration
	for time.Since(started) < duration {
		if !restarted && time.Since(started) > duration/3 {
			fmt.Printf("chaos: restarting the server after %d calls: %s\n", load.Calls(), restartCmd)
			t0 := time.Now()
			out, err := exec.Command("sh", "-c", restartCmd).CombinedOutput()
			if err != nil {
				close(stop)
				<-loadDone
				return fmt.Errorf("restart command: %v\n%s", err, out)
			}
			if err := waitForServer(ctx, serverURL); err != nil {
				close(stop)
				<-loadDone
				return err
			}
			restartTook, restarted = time.Since(t0), true
			fmt.Printf("chaos: server back after %s\n", restartTook.Round(time.Millisecond))
		}
		load.WaitForCalls(load.Calls() + killEvery)
		n, b, err := terminateBackends(ctx, dbURL)
		if err != nil {
			fmt.Printf("chaos: kill round skipped: %v\n", err)
			continue
		}
		terminated, busy = terminated+n, busy+b
		killRounds++
	}
	close(stop)
	<-loadDone
	fmt.Printf("chaos: load: %s, %d calls, %d users, %d kill rounds ending %d backends (%d busy), server restarted in %s\n",
		time.Since(started).Round(time.Second), load.Calls(), load.Users(), killRounds, terminated, busy, restartTook.Round(time.Millisecond))
	fmt.Printf("chaos: lost connections: %s\n", load.LostTally())

	lostBefore := load.Lost()
	load.Run("after", workers, 10, nil)
	recoveryLost := load.Lost() - lostBefore
	fmt.Printf("chaos: same Store afterwards: %d iterations, %d lost connections (at most %d expected)\n",
		workers*10, recoveryLost, poolSize)

	auditCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	report, err := load.Audit(auditCtx, pool)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fmt.Printf("chaos: audit: %d users checked, %d SetUser calls reported a lost connection after committing, %d problems\n",
		report.Users, report.LostAfterCommit, len(report.Problems))
	load.Revocations.Wait()
	revocations := load.Revocations.Report()
	st := cache.Stats()
	fmt.Printf("chaos: cache: %d hits, %d misses, %d bypassed, %d lagged, %d evicted by the change log, %d reconnects\n",
		st.Hits, st.Misses, st.Bypassed, st.Lagged, st.Evictions.Logged, st.Reconnects)
	fmt.Printf("chaos: RESULT %s\n", revocations)

	problems := append(load.Problems(), report.Problems...)
	problems = append(problems, revocations.Problems...)
	if revocations.Revoked == 0 {
		problems = append(problems, "no revocation was checked through the cache")
	}
	if recoveryLost > int(poolSize) {
		problems = append(problems, fmt.Sprintf("%d calls lost their connection after the chaos ended", recoveryLost))
	}
	if !restarted {
		problems = append(problems, "the server was never restarted: make -duration longer")
	}
	for _, p := range problems {
		fmt.Println("chaos: problem:", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems", len(problems))
	}
	return nil
}

// createDatabase creates an empty database on the server and returns its
// URL and a function that drops it.
func createDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "luciapg_chaos_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			fmt.Fprintf(os.Stderr, "chaos: dropping %s: %v\n", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "chaos: dropping %s: %v\n", name, err)
		}
	}
	return u.String(), drop, nil
}

// terminateBackends ends the Store's backends: every client backend of the
// chaos database, and no other database's.
func terminateBackends(ctx context.Context, dbURL string) (ended, busy int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	return faultload.TerminateBackends(ctx, conn)
}

// waitForServer polls until the server accepts connections again.
func waitForServer(ctx context.Context, serverURL string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := pgx.Connect(pingCtx, serverURL)
		if err == nil {
			err = conn.Ping(pingCtx)
			conn.Close(pingCtx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(errors.New("the server did not come back within 2 minutes"), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
