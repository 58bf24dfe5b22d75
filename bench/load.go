package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/internal/machine"
	"github.com/luciapg/luciapg/bench/internal/stats"
)

// variant is the implementation a run measures.
type variant string

const (
	storeVariant variant = "store"
	rawVariant   variant = "raw"
)

// minPrepareRate is the throughput (calls/s) prepared rows are sized for
// before an operation's rate is known; later runs prepare 1.5 times the
// fastest rate seen. A phase that runs out simply ends early.
const minPrepareRate = 20000

// loadRun is one measured run of one operation by one variant.
type loadRun struct {
	Operation string  `json:"operation"`
	Variant   variant `json:"variant"`
	Round     int     `json:"round"`
	Calls     int64   `json:"calls"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// ClientCPUMicros is this process's CPU time per call.
	ClientCPUMicros float64 `json:"client_cpu_us_per_op"`
}

// loadSummary is one operation over all rounds: each number's spread over
// the rounds (median, quartiles, extremes), and the Store ÷ raw
// throughput ratio of each round (the ratio's spread is over those, not a
// ratio of medians). Every run's own values are in loadReport.Runs.
type loadSummary struct {
	Operation      string       `json:"operation"`
	Target         float64      `json:"target,omitempty"`
	StoreOpsPerSec stats.Spread `json:"store_ops_per_sec"`
	RawOpsPerSec   stats.Spread `json:"raw_ops_per_sec"`
	Ratio          stats.Spread `json:"ratio"`
	RoundRatios    []float64    `json:"round_ratios"`
	StoreP50Micros stats.Spread `json:"store_p50_us"`
	StoreP99Micros stats.Spread `json:"store_p99_us"`
	RawP50Micros   stats.Spread `json:"raw_p50_us"`
	RawP99Micros   stats.Spread `json:"raw_p99_us"`
	StoreCPUMicros stats.Spread `json:"store_client_cpu_us_per_op"`
	RawCPUMicros   stats.Spread `json:"raw_client_cpu_us_per_op"`
}

// Met reports whether the median ratio reaches the target.
func (s loadSummary) Met() bool { return s.Ratio.Median >= s.Target }

type loadReport struct {
	Machine   machine.Machine `json:"machine"`
	Config    config          `json:"config"`
	Command   string          `json:"command"`
	Summaries []loadSummary   `json:"summaries"`
	Runs      []loadRun       `json:"runs"`
}

func runLoad(ctx context.Context, cfg config, m machine.Machine) error {
	logf("load: seeding %d users", cfg.Users)
	db, err := createScratchDatabase(ctx, cfg.DatabaseURL, "load", cfg.Users)
	if err != nil {
		return err
	}
	defer db.drop()
	pool, err := db.pool(ctx, cfg.Pool)
	if err != nil {
		return err
	}
	defer pool.Close()
	e := &env{pool: pool, store: luciapg.New(pool), users: cfg.Users}

	report := loadReport{Machine: m, Config: cfg, Command: commandLine()}
	fastest := map[string]float64{}
	for round := range cfg.Rounds {
		order := []variant{storeVariant, rawVariant}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for i, name := range cfg.Operations {
			op, _ := operationNamed(name)
			for _, v := range order {
				seed := uint64(round*1000 + i) // the same calls for both variants
				r, err := measure(ctx, cfg, e, op, v, round, seed, fastest[op.name])
				if err != nil {
					return fmt.Errorf("%s (%s, round %d): %w", op.name, v, round+1, err)
				}
				fastest[op.name] = max(fastest[op.name], r.OpsPerSec)
				report.Runs = append(report.Runs, r)
				logf("round %d  %-24s %-5s %9.0f ops/s  p50 %6.0f µs  p99 %7.0f µs  client CPU %5.1f µs/op",
					round+1, op.name, v, r.OpsPerSec, r.P50Micros, r.P99Micros, r.ClientCPUMicros)
			}
		}
	}
	report.Summaries = summarize(cfg.Operations, report.Runs)
	return writeLoadReport(cfg.Out, report)
}

// measure prepares, runs and cleans up one measured run.
func measure(ctx context.Context, cfg config, e *env, op operation, v variant, round int, seed uint64, fastest float64) (loadRun, error) {
	ph := &phase{tag: fmt.Sprintf("r%d%s%d", round, v, seed)}
	if op.consumes() {
		rate := max(minPrepareRate, 1.5*fastest)
		ph.limit = int64(rate * (cfg.Warmup + cfg.Duration).Seconds())
		if err := op.prepare(ctx, e, ph.tag, ph.limit); err != nil {
			return loadRun{}, fmt.Errorf("preparing rows: %w", err)
		}
	}
	fn := op.store
	if v == rawVariant {
		fn = op.raw
	}
	m, err := runPhase(ctx, ph, cfg.Workers, seed, cfg.Warmup, cfg.Duration, func(ctx context.Context, w *worker) error {
		return fn(ctx, e, w)
	})
	if op.cleanup != nil {
		// Clean up even after a failure, so that the next run starts from
		// the seeded tables.
		if cerr := op.cleanup(context.WithoutCancel(ctx), e, ph.tag); cerr != nil && err == nil {
			err = fmt.Errorf("cleaning up: %w", cerr)
		}
		if _, verr := e.pool.Exec(context.WithoutCancel(ctx), "VACUUM ANALYZE auth_user, auth_key, auth_session"); verr != nil && err == nil {
			err = verr
		}
	}
	if err != nil {
		return loadRun{}, err
	}
	return loadRun{
		Operation: op.name,
		Variant:   v,
		Round:     round + 1,
		Calls:     m.ops,
		Seconds:   m.elapsed.Seconds(),
		OpsPerSec: m.opsPerSec(),
		P50Micros: stats.Micros(stats.Percentile(m.latencies, 50)),
		P99Micros: stats.Micros(stats.Percentile(m.latencies, 99)),

		ClientCPUMicros: stats.Micros(m.clientCPUPerOp()),
	}, nil
}

// summarize reduces runs to one summary per operation, in the given order.
func summarize(names []string, runs []loadRun) []loadSummary {
	var out []loadSummary
	for _, name := range names {
		op, _ := operationNamed(name)
		s := loadSummary{Operation: name, Target: op.target}
		byRound := map[int]map[variant]loadRun{}
		collect := map[variant]map[string][]float64{storeVariant: {}, rawVariant: {}}
		for _, r := range runs {
			if r.Operation != name {
				continue
			}
			if byRound[r.Round] == nil {
				byRound[r.Round] = map[variant]loadRun{}
			}
			byRound[r.Round][r.Variant] = r
			c := collect[r.Variant]
			c["ops"] = append(c["ops"], r.OpsPerSec)
			c["p50"] = append(c["p50"], r.P50Micros)
			c["p99"] = append(c["p99"], r.P99Micros)
			c["cpu"] = append(c["cpu"], r.ClientCPUMicros)
		}
		rounds := make([]int, 0, len(byRound))
		for round := range byRound {
			rounds = append(rounds, round)
		}
		slices.Sort(rounds)
		for _, round := range rounds {
			st, okS := byRound[round][storeVariant]
			raw, okR := byRound[round][rawVariant]
			if okS && okR && raw.OpsPerSec > 0 {
				s.RoundRatios = append(s.RoundRatios, st.OpsPerSec/raw.OpsPerSec)
			}
		}
		s.Ratio = stats.SpreadOf(s.RoundRatios)
		s.StoreOpsPerSec = stats.SpreadOf(collect[storeVariant]["ops"])
		s.RawOpsPerSec = stats.SpreadOf(collect[rawVariant]["ops"])
		s.StoreP50Micros = stats.SpreadOf(collect[storeVariant]["p50"])
		s.StoreP99Micros = stats.SpreadOf(collect[storeVariant]["p99"])
		s.RawP50Micros = stats.SpreadOf(collect[rawVariant]["p50"])
		s.RawP99Micros = stats.SpreadOf(collect[rawVariant]["p99"])
		s.StoreCPUMicros = stats.SpreadOf(collect[storeVariant]["cpu"])
		s.RawCPUMicros = stats.SpreadOf(collect[rawVariant]["cpu"])
		out = append(out, s)
	}
	return out
}
