package main

import (
	"context"
	"fmt"
	"runtime/pprof"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/stats"
	"github.com/luciapg/luciapg/bench/rawpgx"
	"github.com/luciapg/luciapg/sessioncache"
)

// The peers of the validation comparison, slowest first.
const (
	peerLucia = "Lucia v1 getSessionUser"
	peerRaw   = "raw pgx GetSessionAndUser"
	peerStore = "ValidateSessionUser on the Store"
	peerCache = "ValidateSessionUser on the SessionCache"
	// peerShared is the cache with ShareAttributes: no copy of the user's
	// attributes per hit.
	peerShared  = "ValidateSessionUser on the SessionCache, ShareAttributes"
	peerBareMap = "bare map behind the change log"
)

var validatePeers = []string{peerLucia, peerRaw, peerStore, peerCache, peerShared, peerBareMap}

// validateRun is one measured run of one peer.
type validateRun struct {
	Peer      string  `json:"peer"`
	Round     int     `json:"round"`
	Calls     int64   `json:"calls"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	CPUMicros float64 `json:"client_cpu_us_per_op,omitempty"`
}

// validateSummary is one peer over all rounds: each number's spread over
// the rounds, and its throughput ÷ the raw twin's in each round (VsRaw is
// the spread of those).
type validateSummary struct {
	Peer        string       `json:"peer"`
	OpsPerSec   stats.Spread `json:"ops_per_sec"`
	P50Micros   stats.Spread `json:"p50_us"`
	P99Micros   stats.Spread `json:"p99_us"`
	CPUMicros   stats.Spread `json:"client_cpu_us_per_op"`
	VsRaw       stats.Spread `json:"vs_raw"`
	RoundVsRaw  []float64    `json:"round_vs_raw"`
	Unavailable string       `json:"unavailable,omitempty"`
}

// hotSessionIDs are the sessions the validation runs spread over: the
// first session of the first n users.
func hotSessionIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = dataset.SessionID(i, 0)
	}
	return ids
}

// measureValidate runs every peer once per round, in an order that
// rotates, so that each round's ratios compare runs made moments apart.
func measureValidate(ctx context.Context, cfg config, url string, pool *pgxpool.Pool, store *luciapg.Store) ([]validateRun, error) {
	ids := hotSessionIDs(cacheHotSessions)
	cache, err := startSessionCache(ctx, store, sessioncache.Config{ConnString: url})
	if err != nil {
		return nil, err
	}
	defer cache.Close()
	shared, err := startSessionCache(ctx, store, sessioncache.Config{ConnString: url, ShareAttributes: true})
	if err != nil {
		return nil, err
	}
	defer shared.Close()
	bare, err := newBareMap(ctx, url, pool)
	if err != nil {
		return nil, err
	}
	defer bare.close() //nolint:errcheck // checked below on success
	var onCache, onShared, onStore *auth.Auth
	for _, core := range []struct {
		a       **auth.Auth
		adapter luciapg.ThrottlingAdapter
	}{{&onCache, cache}, {&onShared, shared}, {&onStore, store}} {
		if *core.a, err = auth.New(core.adapter, auth.Config{}); err != nil {
			return nil, err
		}
	}
	calls := map[string]func(context.Context, string) error{
		peerRaw: func(ctx context.Context, id string) error {
			_, _, err := rawpgx.GetSessionAndUser(ctx, pool, id)
			return err
		},
		peerStore: func(ctx context.Context, id string) error {
			_, _, err := onStore.ValidateSessionUser(ctx, id)
			return err
		},
		peerCache: func(ctx context.Context, id string) error {
			_, _, err := onCache.ValidateSessionUser(ctx, id)
			return err
		},
		peerShared: func(ctx context.Context, id string) error {
			_, _, err := onShared.ValidateSessionUser(ctx, id)
			return err
		},
		peerBareMap: func(ctx context.Context, id string) error {
			_, _, err := bare.get(ctx, id)
			return err
		},
	}
	// Fill both memories: every hot session is then a hit.
	for _, id := range ids {
		if err := calls[peerCache](ctx, id); err != nil {
			return nil, err
		}
		if err := calls[peerShared](ctx, id); err != nil {
			return nil, err
		}
		if err := calls[peerBareMap](ctx, id); err != nil {
			return nil, err
		}
	}
	var lucia *luciaHarness
	if cfg.LuciaDir != "" {
		if lucia, err = startLucia(ctx, cfg.LuciaDir, url); err != nil {
			return nil, err
		}
		defer lucia.stop()
	}
	var runs []validateRun
	for round := range cfg.Rounds {
		order := slices.Clone(validatePeers)
		rotate := round % len(order)
		order = append(order[rotate:], order[:rotate]...)
		for _, peer := range order {
			var r validateRun
			var err error
			if peer == peerLucia {
				if lucia == nil {
					continue
				}
				r, err = lucia.benchValidate(ctx, ids, cfg.Workers, cfg.Warmup, cfg.Duration)
			} else {
				call := calls[peer]
				var m measurement
				// The label lets a -cpuprofile be read per peer:
				// go tool pprof -tagfocus 'peer=…'.
				pprof.Do(ctx, pprof.Labels("peer", peer), func(ctx context.Context) {
					m, err = runPhase(ctx, &phase{}, cfg.Workers, uint64(round), cfg.Warmup, cfg.Duration, func(ctx context.Context, w *worker) error {
						return call(ctx, ids[w.rng.IntN(len(ids))])
					})
				})
				r = validateRun{Calls: m.ops, OpsPerSec: m.opsPerSec(), P50Micros: stats.Micros(stats.Percentile(m.latencies, 50)),
					P99Micros: stats.Micros(stats.Percentile(m.latencies, 99)), CPUMicros: stats.Micros(m.clientCPUPerOp())}
			}
			if err != nil {
				return nil, fmt.Errorf("%s, round %d: %w", peer, round+1, err)
			}
			r.Peer, r.Round = peer, round+1
			runs = append(runs, r)
			logf("cache round %d  %-42s %10.0f ops/s  p50 %7.1f µs  p99 %7.1f µs", round+1, peer, r.OpsPerSec, r.P50Micros, r.P99Micros)
		}
	}
	if err := bare.close(); err != nil {
		return nil, err
	}
	for _, c := range []*sessioncache.Cache{cache, shared} {
		s := c.Stats()
		if s.Misses > uint64(len(ids)) {
			// Expected only in runs longer than MaxStaleness (one minute),
			// after which every entry is read again.
			logf("cache: %d misses after the %d of the fill", s.Misses-uint64(len(ids)), len(ids))
		}
		logf("cache: %d hits, %d reads sent to the Store because the change log's reading lagged by more than MaxLag", s.Hits, s.Lagged)
	}
	return runs, nil
}

func summarizeValidate(runs []validateRun) []validateSummary {
	rawByRound := map[int]float64{}
	for _, r := range runs {
		if r.Peer == peerRaw {
			rawByRound[r.Round] = r.OpsPerSec
		}
	}
	var out []validateSummary
	for _, peer := range validatePeers {
		s := validateSummary{Peer: peer}
		var ops, p50, p99, cpu []float64
		for _, r := range runs {
			if r.Peer != peer {
				continue
			}
			ops, p50, p99, cpu = append(ops, r.OpsPerSec), append(p50, r.P50Micros), append(p99, r.P99Micros), append(cpu, r.CPUMicros)
			if raw := rawByRound[r.Round]; raw > 0 {
				s.RoundVsRaw = append(s.RoundVsRaw, r.OpsPerSec/raw)
			}
		}
		if len(ops) == 0 {
			s.Unavailable = "not run (-lucia '')"
		}
		s.OpsPerSec, s.P50Micros, s.P99Micros = stats.SpreadOf(ops), stats.SpreadOf(p50), stats.SpreadOf(p99)
		if slices.ContainsFunc(cpu, func(x float64) bool { return x > 0 }) {
			s.CPUMicros = stats.SpreadOf(cpu) // Lucia v1's runs measure none
		}
		s.VsRaw = stats.SpreadOf(s.RoundVsRaw)
		out = append(out, s)
	}
	return out
}
