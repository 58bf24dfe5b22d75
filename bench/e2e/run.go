package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/internal/machine"
)

// stackRun is one stack's servers, accounts and measurements.
type stackRun struct {
	stack
	missing  string // why it could not run; empty when it ran
	first    *server
	second   *server // for the revocation trials
	users    []account
	sessions []*jar
	result   row
	// revocationDone: a trial reached the cap; the stack is not polled
	// for another cap's length in later rounds.
	revocationDone bool
}

func (s *stackRun) fail(format string, args ...any) {
	if s.missing == "" {
		s.missing = fmt.Sprintf(format, args...)
		logf("%s: MISSING: %s", s.name, s.missing)
	}
	for _, srv := range []*server{s.first, s.second} {
		if srv != nil {
			srv.stop()
		}
	}
	s.first, s.second = nil, nil
}

// check fails the stack if one of its servers has exited.
func (s *stackRun) check() bool {
	for _, srv := range []*server{s.first, s.second} {
		if srv != nil && !srv.alive() {
			s.fail("%s exited (%v): %s", srv.name, srv.err, srv.log)
			return false
		}
	}
	return s.missing == ""
}

func run(ctx context.Context, cfg config) error {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	m, err := machine.Describe(ctx, cfg.AdminURL)
	if err != nil {
		return err
	}
	logf("%s", m)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	node, _ := exec.LookPath("node")
	nodeDir, err := filepath.Abs(cfg.NodeDir)
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	l := &launcher{self: self, node: node, nodeDir: nodeDir, betterKey: hex.EncodeToString(secret), cpuProfiles: cfg.CPUProfiles}

	var runs []*stackRun
	for _, name := range cfg.Stacks {
		s, _ := stackNamed(name)
		runs = append(runs, &stackRun{stack: s, result: row{Stack: s.name, Language: s.lang, What: s.what, Hash: s.hash}})
	}
	defer func() {
		for _, s := range runs {
			for _, srv := range []*server{s.first, s.second} {
				if srv != nil {
					srv.stop()
				}
			}
		}
	}()

	// Databases of the benchmark's own, made afresh.
	if l.luciapgURL, err = recreateDatabase(ctx, cfg.AdminURL, cfg.Database); err != nil {
		return err
	}
	defer dropDatabase(cfg.AdminURL, cfg.Database)
	if _, err := luciapg.MigrateConnString(ctx, l.luciapgURL); err != nil {
		return fmt.Errorf("migrating %s: %w", cfg.Database, err)
	}
	if anyStack(runs, func(s *stackRun) bool { return s.betterAuth }) {
		name := cfg.Database + "_better_auth"
		if l.betterURL, err = recreateDatabase(ctx, cfg.AdminURL, name); err != nil {
			return err
		}
		defer dropDatabase(cfg.AdminURL, name)
		if err := l.runNode([]string{"DATABASE_URL=" + l.betterURL, "NODE_ENV=production", "BETTER_AUTH_SECRET=" + l.betterKey}, "better-auth-migrate"); err != nil {
			for _, s := range runs {
				if s.betterAuth {
					s.fail("migrating Better Auth's schema: %v", err)
				}
			}
		}
	}

	// First instances, users and sessions.
	for _, s := range runs {
		if s.missing != "" {
			continue
		}
		logf("%s: starting and signing up %d users, %d sessions", s.name, cfg.Users, cfg.Sessions)
		srv, err := l.start(s.stack, 1)
		if err != nil {
			s.fail("%v", err)
			continue
		}
		s.first = srv
		if err := setUp(s, cfg); err != nil {
			s.check()
			s.fail("setting up: %v", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}

	// The protected endpoint, rounds interleaved across the stacks.
	for _, s := range runs {
		if s.first != nil && cfg.CPUProfiles[s.name] != "" {
			s.first.command("profile-start")
		}
	}
	stopProfile, err := startProfile(cfg.CPUProfile)
	if err != nil {
		return err
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, s := range inTurn(runs, round) {
			if !s.check() {
				continue
			}
			got, err := measureProtected(s.first.addr, s.sessions, cfg.Conns, cfg.Warmup, cfg.Duration)
			if err != nil {
				s.check()
				s.fail("GET /me: %v", err)
				continue
			}
			s.result.Protected = append(s.result.Protected, got)
			logf("round %d %-26s GET /me %8.0f req/s  p50 %6.0f µs  p99 %6.0f µs  errors %d", round, s.name, got.PerSecond, got.P50Micros, got.P99Micros, got.Errors)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	stopProfile()
	for _, s := range runs {
		if s.first != nil && cfg.CPUProfiles[s.name] != "" {
			s.first.command("profile-stop")
		}
	}

	// Login and logout.
	for round := 1; round <= cfg.Rounds; round++ {
		for _, s := range inTurn(runs, round) {
			if s.ceiling || !s.check() {
				continue
			}
			got, err := measureLogin(s.first.addr, s.users, cfg.LoginConns, cfg.Warmup, cfg.LoginDuration)
			if err != nil {
				s.check()
				s.fail("POST /login: %v", err)
				continue
			}
			s.result.Login = append(s.result.Login, got)
			logf("round %d %-26s login  %8.1f /s     p50 %6.0f ms  p99 %6.0f ms  errors %d", round, s.name, got.PerSecond, got.P50Micros/1000, got.P99Micros/1000, got.Errors)
			doomed, err := sessionsFor(s, cfg.Logouts)
			if err != nil {
				s.check()
				s.fail("creating sessions to log out: %v", err)
				continue
			}
			got, err = measureLogout(s.first.addr, doomed, cfg.Conns)
			if err != nil {
				s.check()
				s.fail("POST /logout: %v", err)
				continue
			}
			s.result.Logout = append(s.result.Logout, got)
			logf("round %d %-26s logout %8.0f /s     p50 %6.0f µs  p99 %6.0f µs  errors %d", round, s.name, got.PerSecond, got.P50Micros, got.P99Micros, got.Errors)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}

	// Revocation: a second instance of each stack.
	for _, s := range runs {
		if s.ceiling || !s.check() {
			continue
		}
		srv, err := l.start(s.stack, 2)
		if err != nil {
			s.fail("second instance: %v", err)
			continue
		}
		s.second = srv
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, s := range runs {
			if s.ceiling || s.revocationDone || !s.check() {
				continue
			}
			if err := revocationRound(s, cfg); err != nil {
				s.check()
				s.fail("revocation: %v", err)
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for _, s := range runs {
		for _, srv := range []*server{s.first, s.second} {
			if srv != nil {
				srv.stop()
			}
		}
		s.first, s.second = nil, nil
	}

	res := newResults(m, cfg, runs)
	if err := writeResults(cfg.Out, res); err != nil {
		return err
	}
	logf("wrote %s", strings.Join([]string{cfg.Out + "/e2e.md", "e2e.json", "e2e.png"}, ", "))
	var missing []string
	for _, s := range runs {
		if s.missing != "" {
			missing = append(missing, s.name+" ("+s.missing+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("MISSING: %s", strings.Join(missing, "; "))
	}
	return nil
}

// inTurn is the order of the stacks in round: as listed in odd rounds,
// reversed in even ones, so that no stack always runs right after the
// same neighbour or first on a cold machine.
func inTurn(runs []*stackRun, round int) []*stackRun {
	if round%2 == 1 {
		return runs
	}
	reversed := slices.Clone(runs)
	slices.Reverse(reversed)
	return reversed
}

func anyStack(runs []*stackRun, f func(*stackRun) bool) bool {
	for _, s := range runs {
		if f(s) {
			return true
		}
	}
	return false
}

// signupsPerAddress is how many signups one source address makes: under
// luciapg's default 20 free signups per address.
const signupsPerAddress = 15

// setUp signs up the stack's users, then makes its sessions and reads
// each once on the first instance, keeping what it sets (Better Auth's
// cookie cache).
func setUp(s *stackRun, cfg config) error {
	if s.ceiling {
		s.sessions = make([]*jar, cfg.Sessions)
		for i := range s.sessions {
			s.sessions[i] = &jar{}
		}
		return nil
	}
	s.users = make([]account, cfg.Users)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range cfg.SignupParallel {
		wg.Go(func() {
			var c *client
			defer func() {
				if c != nil {
					c.close()
				}
			}()
			for k, i := 0, w; i < cfg.Users; k, i = k+1, i+cfg.SignupParallel {
				if k%signupsPerAddress == 0 {
					if c != nil {
						c.close()
					}
					var err error
					if c, err = dial(s.first.addr, sourceAddress()); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
				u, err := signup(c, fmt.Sprintf("%s-user-%d", s.name, i), fmt.Sprintf("e2e-bench-password-%d", i))
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				s.users[i] = u
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sessions, err := sessionsFor(s, cfg.Sessions)
	if err != nil {
		return err
	}
	c, err := dial(s.first.addr, nil)
	if err != nil {
		return err
	}
	defer c.close()
	for _, j := range sessions {
		r, err := c.do(getRequest(c.host, routeMe, j.header()), false)
		if err != nil {
			return err
		}
		if r.status != 200 {
			return fmt.Errorf("a new session was refused (status %d)", r.status)
		}
		j.update(r.setCookies)
	}
	s.sessions = sessions
	return nil
}

// sessionsFor makes n sessions spread over the stack's users, through
// its own API on the first instance.
func sessionsFor(s *stackRun, n int) ([]*jar, error) {
	c, err := dial(s.first.addr, nil)
	if err != nil {
		return nil, err
	}
	defer c.close()
	per := (n + len(s.users) - 1) / len(s.users)
	var out []*jar
	for _, u := range s.users {
		if len(out) >= n {
			break
		}
		jars, err := createSessions(c, u, min(per, n-len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, jars...)
	}
	return out, nil
}

// revocationRound runs cfg.Revocations trials, or one that reaches the
// cap (the stack then keeps serving revoked sessions: more trials would
// only wait).
func revocationRound(s *stackRun, cfg config) error {
	first, err := dial(s.first.addr, nil)
	if err != nil {
		return err
	}
	defer first.close()
	second, err := dial(s.second.addr, nil)
	if err != nil {
		return err
	}
	defer second.close()
	rev := &s.result.Revocation
	var round []time.Duration
	for i := range cfg.Revocations {
		trial, err := revoke(first, second, s.users[i%len(s.users)], cfg.RevocationCap)
		if err != nil {
			return err
		}
		rev.Trials++
		if trial.capped {
			rev.StillServed++
			s.revocationDone = true
			logf("%-26s revocation: still served after %v", s.name, cfg.RevocationCap)
			return nil
		}
		rev.latencies = append(rev.latencies, trial.elapsed)
		round = append(round, trial.elapsed)
	}
	got := summarize(round, 0, time.Second)
	logf("%-26s revocation: p50 %7.2f ms  p99 %7.2f ms over %d trials", s.name, got.P50Micros/1000, got.P99Micros/1000, len(round))
	return nil
}

// recreateDatabase drops and creates database name on the server at
// adminURL, returning its URL.
func recreateDatabase(ctx context.Context, adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", err)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, sql := range []string{
		"DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)",
		"CREATE DATABASE " + pgx.Identifier{name}.Sanitize(),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(adminURL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err == nil {
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	if err != nil {
		logf("could not drop %s: %v (drop it by hand)", name, err)
	}
}

// startProfile starts a CPU profile of this process into path (none when
// path is empty) and returns what stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
