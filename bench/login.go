package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/bench/internal/machine"
	"github.com/luciapg/luciapg/bench/internal/stats"
)

// loginUsers is how many users of each kind the login part signs up: the
// password-only logins and the two-step ones each cycle through their own.
const loginUsers = 16

// loginRun is one measured phase of the login part.
type loginRun struct {
	Round      int     `json:"round"`
	Kind       string  `json:"kind"`
	Logins     int64   `json:"logins"`
	P50Millis  float64 `json:"p50_ms"`
	P99Millis  float64 `json:"p99_ms"`
	MeanMillis float64 `json:"mean_ms"`
}

// loginSummary is one kind of login over every round: medians of the
// rounds' p50 and p99, and the two-step ÷ password-only p50 per round.
type loginSummary struct {
	Kind        string    `json:"kind"`
	P50Millis   float64   `json:"p50_ms"`
	P99Millis   float64   `json:"p99_ms"`
	Ratio       float64   `json:"p50_vs_password_only"`
	RoundRatios []float64 `json:"p50_vs_password_only_per_round"`
}

type loginReport struct {
	Machine   machine.Machine `json:"machine"`
	Config    config          `json:"config"`
	Command   string          `json:"command"`
	Runs      []loginRun      `json:"runs"`
	Summaries []loginSummary  `json:"summaries"`
}

// The kinds of login measured.
const (
	loginPasswordOnly = "password only (BeginLogin → session)"
	loginTwoStep      = "password + authenticator code (BeginLogin → pending, CompleteLoginWithTOTP)"
	loginSecondStep   = "the second step alone (CompleteLoginWithTOTP)"
)

// runLogin measures the latency of a whole login through the auth core on
// a Store, for a user without a second factor and for one with an
// authenticator app, one login at a time (latency, not throughput: each is
// mostly one scrypt hash), the two kinds alternating phase by phase.
//
// A code is good once per 30-second step, so the Auth's clock is the real
// time plus an offset that moves 31 s before every two-step login: each
// code is of a new step, and the logins run one after another.
func runLogin(ctx context.Context, cfg config, m machine.Machine) error {
	return runLoginWith(ctx, cfg, m, loginUsers)
}

// runLoginWith is runLogin with loginUsers users of each kind.
func runLoginWith(ctx context.Context, cfg config, m machine.Machine, loginUsers int) error {
	logf("login: preparing %d users with a password and %d with a password and an authenticator app", loginUsers, loginUsers)
	db, err := createScratchDatabase(ctx, cfg.DatabaseURL, "login", 0)
	if err != nil {
		return err
	}
	defer db.drop()
	pool, err := db.pool(ctx, 4)
	if err != nil {
		return err
	}
	defer pool.Close()

	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	sealingKey := make([]byte, 32)
	_, _ = rand.Read(sealingKey)
	a, err := auth.New(luciapg.New(pool), auth.Config{
		Now:        now,
		SecretKeys: []auth.SecretKey{{ID: "bench", Key: sealingKey}},
		// Every login here succeeds; the throttle must never be what is
		// measured.
		KeyThrottle: luciapg.ThrottlePolicy{FreeAttempts: 1 << 20, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Window: time.Millisecond},
	})
	if err != nil {
		return err
	}
	plain := make([]string, loginUsers)
	withTOTP := make([]string, loginUsers)
	secrets := make([]string, loginUsers)
	const password = "correct horse battery staple"
	for i := range loginUsers {
		plain[i] = fmt.Sprintf("plain%d", i)
		withTOTP[i] = fmt.Sprintf("totp%d", i)
		for _, name := range []string{plain[i], withTOTP[i]} {
			if _, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: name, Password: password}}); err != nil {
				return fmt.Errorf("sign up: %w", err)
			}
		}
		result, err := a.BeginLogin(ctx, "username", withTOTP[i], password)
		if err != nil {
			return fmt.Errorf("first login: %w", err)
		}
		enrolment, err := a.BeginTOTPEnrollment(ctx, result.Session, withTOTP[i])
		if err != nil {
			return fmt.Errorf("enrol: %w", err)
		}
		code, err := totp.GenerateCode(enrolment.Secret, now())
		if err != nil {
			return err
		}
		if err := a.ConfirmTOTPEnrollment(ctx, result.Session, code); err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		secrets[i] = enrolment.Secret
	}

	var n int
	passwordOnly := func(ctx context.Context, _ *worker) error {
		n++
		result, err := a.BeginLogin(ctx, "username", plain[n%loginUsers], password)
		if err == nil && result.Pending != nil {
			err = fmt.Errorf("a user without a second factor got a pending login")
		}
		return err
	}
	var secondStep []time.Duration
	twoStep := func(ctx context.Context, _ *worker) error {
		n++
		i := n % loginUsers
		offset.Add(int64(31 * time.Second))
		result, err := a.BeginLogin(ctx, "username", withTOTP[i], password)
		if err != nil {
			return err
		}
		if result.Pending == nil {
			return fmt.Errorf("a user with an authenticator app got a session from the password alone")
		}
		code, err := totp.GenerateCode(secrets[i], now())
		if err != nil {
			return err
		}
		began := time.Now()
		_, err = a.CompleteLoginWithTOTP(ctx, result.Pending.Token, code)
		secondStep = append(secondStep, time.Since(began))
		return err
	}

	report := loginReport{Machine: m, Config: cfg, Command: commandLine()}
	for round := range cfg.Rounds {
		kinds := []string{loginPasswordOnly, loginTwoStep}
		if round%2 == 1 {
			kinds = []string{loginTwoStep, loginPasswordOnly}
		}
		for _, kind := range kinds {
			call := passwordOnly
			if kind == loginTwoStep {
				call = twoStep
				secondStep = secondStep[:0]
			}
			// One worker: the logins of a phase run one after another.
			meas, err := runPhase(ctx, &phase{}, 1, uint64(round), cfg.Warmup, cfg.Duration, call)
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
			report.Runs = append(report.Runs, loginRunOf(round+1, kind, meas.latencies))
			logf("login: round %d, %s: %d logins, p50 %.1f ms", round+1, kind, meas.ops, millis(stats.Percentile(meas.latencies, 50)))
			if kind == loginTwoStep {
				steps := slices.Sorted(slices.Values(secondStep))
				report.Runs = append(report.Runs, loginRunOf(round+1, loginSecondStep, steps))
			}
		}
	}
	report.Summaries = summarizeLogin(report.Runs)
	return writeLoginReport(cfg.Out, report)
}

func loginRunOf(round int, kind string, sorted []time.Duration) loginRun {
	var total time.Duration
	for _, d := range sorted {
		total += d
	}
	return loginRun{
		Round: round, Kind: kind, Logins: int64(len(sorted)),
		P50Millis: millis(stats.Percentile(sorted, 50)), P99Millis: millis(stats.Percentile(sorted, 99)),
		MeanMillis: millis(total / time.Duration(max(len(sorted), 1))),
	}
}

// summarizeLogin gives each kind its median p50 and p99 over the rounds,
// and its p50 over the password-only p50 of the same round, per round and
// as the median of those.
func summarizeLogin(runs []loginRun) []loginSummary {
	base := map[int]float64{}
	for _, r := range runs {
		if r.Kind == loginPasswordOnly {
			base[r.Round] = r.P50Millis
		}
	}
	var out []loginSummary
	for _, kind := range []string{loginPasswordOnly, loginTwoStep, loginSecondStep} {
		s := loginSummary{Kind: kind}
		var p50s, p99s []float64
		for _, r := range runs {
			if r.Kind != kind {
				continue
			}
			p50s = append(p50s, r.P50Millis)
			p99s = append(p99s, r.P99Millis)
			if b := base[r.Round]; b > 0 {
				s.RoundRatios = append(s.RoundRatios, r.P50Millis/b)
			}
		}
		if len(p50s) == 0 {
			continue
		}
		s.P50Millis, s.P99Millis, s.Ratio = stats.Median(p50s), stats.Median(p99s), stats.Median(s.RoundRatios)
		out = append(out, s)
	}
	return out
}

func writeLoginReport(dir string, r loginReport) error {
	var b strings.Builder
	b.WriteString("# Login latency, with and without a second factor\n\n")
	fmt.Fprintf(&b, "%s. The auth core on a Store, Lucia v1's scrypt (N=16384, r=16, p=1), one login at a time; "+
		"%v warm-up then %v measured per phase, %d rounds, the two kinds alternating which goes first. "+
		"Latencies are medians over the rounds; the ratio divides a kind's p50 by the password-only p50 of the same round.\n\n",
		r.Machine, r.Config.Warmup, r.Config.Duration, r.Config.Rounds)
	b.WriteString("| login | p50 ms | p99 ms | p50 ÷ password only | per round |\n|---|---:|---:|---:|---|\n")
	for _, s := range r.Summaries {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %s |\n", s.Kind, s.P50Millis, s.P99Millis, s.Ratio, ratios(s.RoundRatios))
	}
	fmt.Fprintf(&b, "\nThe two-step login is a password check, a pending login written, then a code checked (throttled, "+
		"its step recorded) and the session with its factor record written in one transaction. "+
		"Reproduce: `%s`\n", r.Command)
	if err := os.WriteFile(filepath.Join(dir, "login.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "login.json"), r)
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
