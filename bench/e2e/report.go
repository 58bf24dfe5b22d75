package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/luciapg/luciapg/bench/internal/chart"
	"github.com/luciapg/luciapg/bench/internal/machine"
	"github.com/luciapg/luciapg/bench/internal/stats"
)

// row is one stack's results: every round's sample, and the summaries the
// report shows.
type row struct {
	Stack    string `json:"stack"`
	Language string `json:"language"`
	What     string `json:"what"`
	Hash     string `json:"password_hash,omitempty"`
	Missing  string `json:"missing,omitempty"`

	Protected []sample `json:"protected_rounds"`
	// CeilingFraction is each round's req/s ÷ its language's ceiling's in
	// the same round.
	CeilingFraction []float64  `json:"ceiling_fraction_rounds,omitempty"`
	Login           []sample   `json:"login_rounds,omitempty"`
	Logout          []sample   `json:"logout_rounds,omitempty"`
	Revocation      revocation `json:"revocation"`

	Summary summary `json:"summary"`
}

// revocation is a stack's revocation trials: time from a logout's answer
// on instance 1 to the first refusal on instance 2.
type revocation struct {
	Trials      int     `json:"trials"`
	StillServed int     `json:"still_served_at_cap"`
	P50Micros   float64 `json:"p50_us"`
	P99Micros   float64 `json:"p99_us"`
	MaxMicros   float64 `json:"max_us"`
	latencies   []time.Duration
}

// summary is a row's medians over the rounds.
type summary struct {
	PerSecond      float64 `json:"per_second"`
	PerSecondMin   float64 `json:"per_second_min"`
	PerSecondMax   float64 `json:"per_second_max"`
	P50Micros      float64 `json:"p50_us"`
	P99Micros      float64 `json:"p99_us"`
	Errors         int     `json:"errors"`
	ClientCPU      float64 `json:"client_cpu_us"`
	Fraction       float64 `json:"ceiling_fraction,omitempty"`
	FractionMin    float64 `json:"ceiling_fraction_min,omitempty"`
	FractionMax    float64 `json:"ceiling_fraction_max,omitempty"`
	LoginPerSecond float64 `json:"login_per_second,omitempty"`
	LoginP50Micros float64 `json:"login_p50_us,omitempty"`
	LoginErrors    int     `json:"login_errors,omitempty"`
	LogoutPerSec   float64 `json:"logout_per_second,omitempty"`
	LogoutP50      float64 `json:"logout_p50_us,omitempty"`
	LogoutP99      float64 `json:"logout_p99_us,omitempty"`
	LogoutErrors   int     `json:"logout_errors,omitempty"`
}

// results is what e2e.json holds.
type results struct {
	Machine machine.Machine `json:"machine"`
	Config  config          `json:"config"`
	Command string          `json:"command"`
	Rows    []row           `json:"rows"`
}

func newResults(m machine.Machine, cfg config, runs []*stackRun) results {
	r := results{Machine: m, Config: cfg, Command: "go run ./bench/e2e " + strings.Join(os.Args[1:], " ")}
	byName := map[string]*stackRun{}
	for _, s := range runs {
		byName[s.name] = s
	}
	for _, s := range runs {
		row := s.result
		row.Missing = s.missing
		if ceiling := byName[ceilingOf(s.stack)]; ceiling != nil && !s.ceiling {
			for i, got := range row.Protected {
				if i < len(ceiling.result.Protected) && ceiling.result.Protected[i].PerSecond > 0 {
					row.CeilingFraction = append(row.CeilingFraction, got.PerSecond/ceiling.result.Protected[i].PerSecond)
				}
			}
		}
		row.Summary = summarizeRounds(row)
		rev := &row.Revocation
		slices.Sort(rev.latencies)
		rev.P50Micros = stats.Micros(stats.Percentile(rev.latencies, 50))
		rev.P99Micros = stats.Micros(stats.Percentile(rev.latencies, 99))
		if n := len(rev.latencies); n > 0 {
			rev.MaxMicros = stats.Micros(rev.latencies[n-1])
		}
		r.Rows = append(r.Rows, row)
	}
	return r
}

func summarizeRounds(r row) summary {
	var s summary
	pick := func(samples []sample, f func(sample) float64) []float64 {
		out := make([]float64, len(samples))
		for i, x := range samples {
			out[i] = f(x)
		}
		return out
	}
	perSecond := func(x sample) float64 { return x.PerSecond }
	if len(r.Protected) > 0 {
		rates := pick(r.Protected, perSecond)
		s.PerSecond = stats.Median(rates)
		s.PerSecondMin, s.PerSecondMax = slices.Min(rates), slices.Max(rates)
		s.P50Micros = stats.Median(pick(r.Protected, func(x sample) float64 { return x.P50Micros }))
		s.P99Micros = stats.Median(pick(r.Protected, func(x sample) float64 { return x.P99Micros }))
		s.ClientCPU = stats.Median(pick(r.Protected, func(x sample) float64 { return x.ClientCPUMicros }))
		for _, x := range r.Protected {
			s.Errors += x.Errors
		}
	}
	if len(r.CeilingFraction) > 0 {
		s.Fraction = stats.Median(r.CeilingFraction)
		s.FractionMin, s.FractionMax = slices.Min(r.CeilingFraction), slices.Max(r.CeilingFraction)
	}
	if len(r.Login) > 0 {
		s.LoginPerSecond = stats.Median(pick(r.Login, perSecond))
		s.LoginP50Micros = stats.Median(pick(r.Login, func(x sample) float64 { return x.P50Micros }))
		for _, x := range r.Login {
			s.LoginErrors += x.Errors
		}
	}
	if len(r.Logout) > 0 {
		s.LogoutPerSec = stats.Median(pick(r.Logout, perSecond))
		s.LogoutP50 = stats.Median(pick(r.Logout, func(x sample) float64 { return x.P50Micros }))
		s.LogoutP99 = stats.Median(pick(r.Logout, func(x sample) float64 { return x.P99Micros }))
		for _, x := range r.Logout {
			s.LogoutErrors += x.Errors
		}
	}
	return s
}

func writeResults(dir string, r results) error {
	if err := os.WriteFile(filepath.Join(dir, "e2e.md"), []byte(markdown(r)), 0o644); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "e2e.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var bars []chart.BarGroup
	for _, row := range r.Rows {
		if row.Missing != "" || len(row.Protected) == 0 {
			continue
		}
		note := "ceiling"
		if row.Stack != ceilingOf(stack{lang: row.Language}) {
			note = "–"
		}
		if row.Summary.Fraction > 0 {
			note = fmt.Sprintf("%.2f", row.Summary.Fraction)
		}
		bars = append(bars, chart.BarGroup{Label: row.Stack, Values: []float64{row.Summary.PerSecond}, Note: note})
	}
	title := fmt.Sprintf("GET /me over HTTP, req/s (%d connections, %d sessions; median of %d rounds)", r.Config.Conns, r.Config.Sessions, r.Config.Rounds)
	return chart.WriteBarChart(filepath.Join(dir, "e2e.png"), title, []string{"req/s"}, "/ ceiling", bars)
}

func ms(micros float64) string { return fmt.Sprintf("%.2f ms", micros/1000) }

func markdown(r results) string {
	var b strings.Builder
	c := r.Config
	b.WriteString("# End to end over HTTP: a protected endpoint, login, logout, revocation\n\n")
	fmt.Fprintf(&b, "%s.\n\n", r.Machine)
	fmt.Fprintf(&b, "Each stack is an OS process of its own serving `GET /me` (read the session cookie, validate the session, "+
		"answer the user's id; 401 otherwise). One Go load generator drives it with %d keep-alive connections over %d sessions "+
		"(made through the stack's own API, for %d users made through its own signup); %v warm-up then %v measured per run, "+
		"%d rounds, each running every stack in turn (in the listed order in odd rounds, reversed in even ones). req/s, p50 and p99 are medians over the rounds (req/s with its range); "+
		"÷ ceiling is the median of each round's req/s over its language's ceiling in the same round. "+
		"Generator CPU is the load generator's own CPU time per request, taken from the same two cores.\n\n",
		c.Conns, c.Sessions, c.Users, c.Warmup, c.Duration, c.Rounds)

	b.WriteString("## Protected endpoint\n\n| Stack | req/s (range) | p50 | p99 | ÷ ceiling (range) | refused | generator CPU |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if row.Missing != "" && len(row.Protected) == 0 {
			fmt.Fprintf(&b, "| %s | MISSING | | | | | |\n", row.Stack)
			continue
		}
		s := row.Summary
		fraction := "ceiling"
		if len(row.CeilingFraction) > 0 {
			fraction = fmt.Sprintf("%.2f (%.2f–%.2f)", s.Fraction, s.FractionMin, s.FractionMax)
		} else if row.Stack != ceilingOf(stack{lang: row.Language}) {
			fraction = "– (no ceiling)"
		}
		fmt.Fprintf(&b, "| %s | %s (%s–%s) | %s | %s | %s | %d | %.1f µs |\n", row.Stack, stats.Thousands(s.PerSecond),
			stats.Thousands(s.PerSecondMin), stats.Thousands(s.PerSecondMax), ms(s.P50Micros), ms(s.P99Micros), fraction, s.Errors, s.ClientCPU)
	}
	b.WriteString("\n![GET /me req/s per stack](e2e.png)\n\n")

	fmt.Fprintf(&b, "## Login and logout\n\nLogin: `POST /login` with a username and password (password check and session creation) "+
		"from %d concurrent connections (at most one per user: each logs in users of its own), %v measured per round (each connection from a loopback address of its own every %d logins: "+
		"luciapg throttles attempts per client address by default). Logout: `POST /logout` of %d sessions per round over %d connections. "+
		"Medians over the rounds.\n\n", c.LoginConns, c.LoginDuration, loginsPerAddress, c.Logouts, c.Conns)
	b.WriteString("| Stack | default password hash | logins/s | login p50 | logouts/s | logout p50 | logout p99 |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if row.Hash == "" {
			continue
		}
		if len(row.Login) == 0 {
			fmt.Fprintf(&b, "| %s | %s | MISSING | | | | |\n", row.Stack, row.Hash)
			continue
		}
		s := row.Summary
		logout := "| MISSING | | "
		if len(row.Logout) > 0 {
			logout = fmt.Sprintf("| %s | %s | %s ", stats.Thousands(s.LogoutPerSec), ms(s.LogoutP50), ms(s.LogoutP99))
		}
		loginP50 := "–"
		if s.LoginPerSecond > 0 {
			loginP50 = fmt.Sprintf("%.0f ms", s.LoginP50Micros/1000)
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %s %s|\n", row.Stack, row.Hash, s.LoginPerSecond, loginP50, logout)
	}

	fmt.Fprintf(&b, "\n## Revocation\n\nA second instance (process) of the same stack: a session is made on instance 1 and read once on instance 2 "+
		"(which caches it, where the stack caches), logged out on instance 1, then asked for on instance 2 over one keep-alive connection "+
		"as fast as it answers until it is refused. The time runs from the logout's answer to the first refusal; %d trials per round, "+
		"polled for at most %v.\n\n", c.Revocations, c.RevocationCap)
	b.WriteString("| Stack | trials | p50 | p99 | max | still served at the cap |\n|---|---:|---:|---:|---:|---|\n")
	for _, row := range r.Rows {
		if row.Hash == "" {
			continue
		}
		v := row.Revocation
		switch {
		case v.Trials == 0:
			fmt.Fprintf(&b, "| %s | MISSING | | | | |\n", row.Stack)
		case v.StillServed > 0:
			fmt.Fprintf(&b, "| %s | %d | | | | still served after %v (%d of %d trials) |\n", row.Stack, v.Trials, c.RevocationCap, v.StillServed, v.Trials)
		default:
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | none |\n", row.Stack, v.Trials, ms(v.P50Micros), ms(v.P99Micros), ms(v.MaxMicros))
		}
	}

	var missing []string
	for _, row := range r.Rows {
		if row.Missing != "" {
			missing = append(missing, fmt.Sprintf("- **%s**: MISSING — %s", row.Stack, row.Missing))
		}
	}
	if len(missing) > 0 {
		b.WriteString("\n## Missing\n\n" + strings.Join(missing, "\n") + "\n")
	}

	b.WriteString("\n## Stacks\n\n| Stack | what |\n|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s |\n", row.Stack, row.What)
	}
	b.WriteString("\n" + methodNotes + "\nReproduce: `" + r.Command + "`\n")
	return b.String()
}

// methodNotes says how each stack is configured, and what the numbers
// leave out.
const methodNotes = `## Method

- Every stack runs with its library's defaults. luciapg: ` + "`auth.Config{}`" + `, ` + "`authhttp.Config{}`" + ` (Secure cookies,
  which the generator sends back over plain HTTP as a proxy would), a pool from ` + "`luciapg.Connect`" + `, and for the cache
  ` + "`sessioncache.Config{ConnString}`" + ` (change log polled every 10 ms). Lucia v1: ` + "`env: \"DEV\"`" + ` (plain HTTP; its CSRF check needs
  the Origin header, which the generator sends on every POST), ` + "`authRequest.validateUser()`" + ` on a pg Pool. Better Auth:
  email and password on, a pg Pool, its schema made by its own migrations (` + "`getMigrations`" + `), ` + "`NODE_ENV=production`" + `,
  endpoints calling ` + "`auth.api`" + ` (getSession, signInEmail, signOut) from Node's http server; the cookie cache row adds
  ` + "`session.cookieCache: {enabled: true, maxAge: 300}`" + `. Better Auth's rate limiter runs in ` + "`auth.handler`" + ` only, so it is not on
  these routes; luciapg's attempt throttle is (a database round trip per login).
- Sessions are made through each stack's own API (no password check): luciapg ` + "`auth.CreateSession`" + `, Lucia
  ` + "`auth.createSession`" + `, Better Auth ` + "`internalAdapter.createSession`" + ` with its signed cookie; users through each stack's signup.
  Lucia v1 users are created with ` + "`createUser`" + ` then ` + "`createKey`" + `: its adapter's createUser with a key holds a pool
  connection for good (@lucia-auth/adapter-postgresql 1.0.1).
- The generator keeps each session's cookies as a browser does (Set-Cookie replaces them), so Better Auth's cookie cache
  keeps its session_data cookie.
- Pools are each library's default: pgxpool's for luciapg (max(4, CPUs) connections), pg.Pool's for Lucia v1 and
  Better Auth (10).
- Servers and generator share the machine's cores: the generator's own cost (its column; mostly the loopback write and
  read system calls) is in every number, alike for every stack.
`
