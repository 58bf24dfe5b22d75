package luciapg

import (
	"context"
	"time"
)

// SessionCacheTestHooks step into a SessionCache's sequence: AfterChange
// runs once a logged change has been applied, BeforeInsert between a Store
// read and the caching of its row, AfterPoll after each successful read of
// the change log. Non-zero durations replace the change log's timing.
type SessionCacheTestHooks struct {
	AfterChange             func(payload string)
	BeforeInsert, AfterPoll func()
	MaxPollGap              time.Duration
	Retention, Cleanup      time.Duration
}

// NewSessionCacheWithHooks is NewSessionCache with hooks.
func NewSessionCacheWithHooks(ctx context.Context, store *Store, cfg SessionCacheConfig, h SessionCacheTestHooks) (*SessionCache, error) {
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
	return newSessionCache(ctx, store, cfg, sessionCacheHooks{
		afterChange:  h.AfterChange,
		beforeInsert: h.BeforeInsert,
		afterPoll:    h.AfterPoll,
		timing:       &timing,
	})
}
