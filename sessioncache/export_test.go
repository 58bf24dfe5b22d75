package sessioncache

import (
	"context"
	"time"

	"github.com/luciapg/luciapg"
)

// TestHooks step into a Cache's sequence: AfterChange
// runs once a logged change has been applied, BeforeInsert between a luciapg.Store
// read and the caching of its row, AfterPoll after each successful read of
// the change log. Non-zero durations, and LeaseXids, replace the change
// log's timing; PollInterval replaces Config.PollInterval past its checks.
type TestHooks struct {
	AfterChange             func(payload string)
	BeforeInsert, AfterPoll func()
	MaxPollGap              time.Duration
	Retention, Cleanup      time.Duration
	LeaseXids               int64
	PollInterval            time.Duration
}

// NewWithHooks is New with hooks.
func NewWithHooks(ctx context.Context, store *luciapg.Store, cfg Config, h TestHooks) (*Cache, error) {
	timing := defaultChangeLogTiming
	if h.MaxPollGap > 0 {
		timing.maxPollGap = h.MaxPollGap
	}
	if h.Retention > 0 {
		timing.retention = h.Retention
	}
	if h.Cleanup > 0 {
		timing.cleanup = h.Cleanup
	}
	if h.LeaseXids > 0 {
		timing.leaseXids = h.LeaseXids
	}
	return newCache(ctx, store, cfg, cacheHooks{
		afterChange:  h.AfterChange,
		beforeInsert: h.BeforeInsert,
		afterPoll:    h.AfterPoll,
		timing:       &timing,
		pollInterval: h.PollInterval,
	})
}
