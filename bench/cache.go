package main

import (
	"context"
	"fmt"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/machine"
	"github.com/luciapg/luciapg/sessioncache"
)

// cacheHotSessions and cacheRevoked are the sizes: 8 workers
// validate 10,000 hot sessions; 1,000 sessions are deleted under them.
const (
	cacheHotSessions = 10_000
	cacheRevoked     = 1_000
	cacheMemEntries  = 100_000
)

// cacheReport is the "cache" part: the session cache's throughput against
// its peers, revocation latency, the triggers' write overhead and memory.
type cacheReport struct {
	Machine    machine.Machine   `json:"machine"`
	Config     config            `json:"config"`
	Command    string            `json:"command"`
	Validate   []validateSummary `json:"validate"`
	ValRuns    []validateRun     `json:"validate_runs"`
	Revocation revocationSummary `json:"revocation"`
	Wakeups    wakeupResult      `json:"wakeups"`
	Writes     []triggerSummary  `json:"trigger_overhead"`
	WriteRuns  []triggerRun      `json:"trigger_runs"`
	Memory     memoryResult      `json:"memory"`
	Plans      []byUserPlan      `json:"plans"`
}

// runCache runs the "cache" part on a database of its own: the hot and
// revoked sessions are the dataset's, the memory test's 100,000 entries
// need 50,000 users (two sessions each), each revocation round 1,000
// users of its own.
func runCache(ctx context.Context, cfg config, m machine.Machine) error {
	// The wake-ups' sessions come after the hot and the revoked ones.
	wakeupFirst := max(cacheHotSessions, revocationUsers(cfg.Rounds))
	users := max(cfg.Users, cacheMemEntries/dataset.SessionsPerUser, wakeupFirst+wakeupUsers)
	logf("cache: seeding %d users", users)
	db, err := createScratchDatabase(ctx, cfg.DatabaseURL, "cache", users)
	if err != nil {
		return err
	}
	defer db.drop()
	pool, err := db.pool(ctx, cfg.Pool)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := luciapg.New(pool)
	report := cacheReport{Machine: m, Config: cfg, Command: commandLine()}

	if report.ValRuns, err = measureValidate(ctx, cfg, db.url, pool, store); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	report.Validate = summarizeValidate(report.ValRuns)
	// Memory first: the revocation deletes sessions the memory test reads.
	if report.Memory, err = measureMemory(ctx, db.url, store); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if report.Revocation, err = measureRevocations(ctx, cfg, db.url, store); err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	if report.Wakeups, err = measureWakeups(ctx, db.url, pool, store, wakeupFirst); err != nil {
		return fmt.Errorf("wake-ups: %w", err)
	}
	if report.WriteRuns, err = measureTriggerOverhead(ctx, cfg, db, pool, users); err != nil {
		return fmt.Errorf("trigger overhead: %w", err)
	}
	report.Writes = summarizeTriggers(report.WriteRuns)
	if report.Plans, err = explainByUser(ctx, pool, users); err != nil {
		return fmt.Errorf("plans: %w", err)
	}
	return writeCacheReport(cfg.Out, report)
}

// startSessionCache starts a SessionCache reading the change log every
// cachePollInterval and waits until it serves from memory (it may first
// wait for transactions that were running when it announced itself), so
// that what the bench puts in it stays there.
func startSessionCache(ctx context.Context, store *luciapg.Store, cfg sessioncache.Config) (*sessioncache.Cache, error) {
	cfg.PollInterval = cachePollInterval
	cache, err := sessioncache.New(ctx, store, cfg)
	if err != nil {
		return nil, err
	}
	if err := waitServing(cache); err != nil {
		cache.Close()
		return nil, fmt.Errorf("starting: %w", err)
	}
	return cache, nil
}
