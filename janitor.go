package luciapg

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Defaults for the zero fields of JanitorConfig (BatchSize's is
// DefaultBatchSize).
const (
	DefaultJanitorInterval     = 10 * time.Minute
	DefaultJanitorBatchTimeout = 10 * time.Second
	// DefaultAttemptRetention is how long the janitor keeps an attempt
	// throttle row after its last attempt and its block ended: the Window
	// of the auth core's default throttle policies, after which the row
	// would start again from zero anyway.
	DefaultAttemptRetention = 24 * time.Hour
	// DefaultAuditRetention is how long the janitor keeps an audit event:
	// long enough to look into a month-old incident, short enough that
	// the log of a user who left does not stay for good.
	DefaultAuditRetention = 90 * 24 * time.Hour
)

// JanitorConfig tells a Janitor how often and how hard to purge. Zero
// fields take the Default values above.
type JanitorConfig struct {
	// Interval is the time between the start of two purges. The first purge
	// runs when NewJanitor starts the janitor.
	Interval time.Duration
	// BatchSize is the number of rows (dead sessions, attempt throttle
	// rows, audit events) deleted per statement.
	BatchSize int
	// BatchTimeout bounds each batch statement. A batch that times out ends
	// that purge; the next one starts at the next interval.
	BatchTimeout time.Duration
	// Logger receives a record per purge (Info when it deleted sessions,
	// Debug when there were none, Warn when it failed). Nil logs nothing.
	Logger *slog.Logger
	// AttemptRetention is how long an attempt throttle row is kept after
	// its last counted attempt and its block ended. Set it to at least the
	// longest Window of the throttle policies in use (shorter would let a
	// guesser's count restart early). Zero means DefaultAttemptRetention.
	AttemptRetention time.Duration
	// AuditRetention is how long an audit event is kept after its At: the
	// janitor deletes older ones, oldest first, in batches of BatchSize.
	// Zero means DefaultAuditRetention; there is no "forever" (an
	// application that must keep its log longer copies it elsewhere).
	AuditRetention time.Duration
	// Now returns the time dead sessions, ceremonies, pending logins,
	// email changes and audit events are measured against; nil means
	// time.Now.
	Now func() time.Time
}

// Janitor purges dead sessions, attempt throttle rows past
// AttemptRetention, audit events past AuditRetention, and expired WebAuthn
// ceremonies, pending logins and email changes, in the background, batch
// by batch as Store.PurgeDeadSessions does (the ceremonies and email
// changes, few and short-lived, each in one statement bounded by
// BatchTimeout): NewJanitor starts it, Close stops it.
// Several janitors (in one process or many) may purge side by side, each
// skipping the rows another is deleting.
type Janitor struct {
	store *Store
	cfg   JanitorConfig
	// logger is cfg.Logger, or one that discards everything when that is
	// nil: never the global logger.
	logger *slog.Logger

	cancel  context.CancelFunc
	stopped chan struct{}
	closing sync.Once
}

// NewJanitor starts a janitor for store: it purges at once, then every
// Interval, in a goroutine of its own, until Close. A failed purge is
// logged, not returned; the next one runs at the next interval. A
// negative or out-of-range field of cfg is an error wrapping
// ErrInvalidConfig.
func NewJanitor(store *Store, cfg JanitorConfig) (*Janitor, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: janitor: the Store is nil", ErrInvalidConfig)
	}
	if cfg.Interval < 0 || cfg.BatchTimeout < 0 || cfg.AttemptRetention < 0 || cfg.AuditRetention < 0 {
		return nil, fmt.Errorf("%w: janitor: Interval, BatchTimeout, AttemptRetention and AuditRetention must not be negative", ErrInvalidConfig)
	}
	if cfg.BatchSize < 0 || cfg.BatchSize > math.MaxInt32 {
		return nil, fmt.Errorf("%w: janitor: BatchSize %d is not between 1 and %d", ErrInvalidConfig, cfg.BatchSize, math.MaxInt32)
	}
	if cfg.AttemptRetention == 0 {
		cfg.AttemptRetention = DefaultAttemptRetention
	}
	if cfg.AuditRetention == 0 {
		cfg.AuditRetention = DefaultAuditRetention
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultJanitorInterval
	}
	if cfg.BatchTimeout == 0 {
		cfg.BatchTimeout = DefaultJanitorBatchTimeout
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &Janitor{store: store, cfg: cfg, logger: logger, cancel: cancel, stopped: make(chan struct{})}
	go j.run(ctx)
	return j, nil
}

// Close stops the janitor, cancelling the purge under way (what it already
// deleted stays deleted), and returns once it has stopped. It returns nil
// and is safe to call more than once.
func (j *Janitor) Close() error {
	j.closing.Do(func() {
		j.cancel()
		<-j.stopped
	})
	return nil
}

// run purges now and then every Interval until ctx ends.
func (j *Janitor) run(ctx context.Context) {
	defer close(j.stopped)
	ticker := time.NewTicker(j.cfg.Interval)
	defer ticker.Stop()
	for {
		j.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// purge is one round of the janitor's work: each kind of row that goes
// stale is purged in turn, with a log record of its own. A further kind is
// one more call here, purging through purgeInBatches with the same options.
func (j *Janitor) purge(ctx context.Context) {
	j.purgeDeadSessions(ctx)
	j.purgeStaleAttempts(ctx)
	j.purgeOldAuditEvents(ctx)
	j.purgeExpiredCeremonies(ctx)
	j.purgeExpiredEmailChanges(ctx)
}

// options are the PurgeOptions of every purge the janitor runs, counting
// its batches for the log.
func (j *Janitor) options(batches *int) PurgeOptions {
	return PurgeOptions{BatchSize: j.cfg.BatchSize, BatchTimeout: j.cfg.BatchTimeout,
		AfterBatch: func(_ int64, n int) { *batches = n }}
}

func (j *Janitor) purgeDeadSessions(ctx context.Context) {
	started, batches := time.Now(), 0
	deleted, err := j.store.PurgeDeadSessions(ctx, j.cfg.Now(), j.options(&batches))
	j.logPurge(ctx, "dead sessions", deleted, batches, err, time.Since(started))
}

func (j *Janitor) purgeStaleAttempts(ctx context.Context) {
	started, batches := time.Now(), 0
	deleted, err := j.store.PurgeStaleAttempts(ctx, j.cfg.Now().Add(-j.cfg.AttemptRetention), j.options(&batches))
	j.logPurge(ctx, "stale attempt throttle rows", deleted, batches, err, time.Since(started))
}

func (j *Janitor) purgeOldAuditEvents(ctx context.Context) {
	started, batches := time.Now(), 0
	before := j.cfg.Now().Add(-j.cfg.AuditRetention)
	deleted, err := purgeInBatches(ctx, j.options(&batches), func(ctx context.Context, batchSize int32) (int64, error) {
		return j.store.PurgeAuditEvents(ctx, before, int(batchSize))
	})
	j.logPurge(ctx, "audit events past retention", deleted, batches, err, time.Since(started))
}

func (j *Janitor) purgeExpiredCeremonies(ctx context.Context) {
	j.purgeInOneStatement(ctx, "expired WebAuthn ceremonies and pending logins", j.store.PurgeExpiredCeremonies)
}

func (j *Janitor) purgeExpiredEmailChanges(ctx context.Context) {
	j.purgeInOneStatement(ctx, "expired email changes", j.store.PurgeExpiredEmailChanges)
}

// purgeInOneStatement purges what (few rows, each short-lived) in one
// statement bounded by BatchTimeout, logged as one batch when it deleted
// anything.
func (j *Janitor) purgeInOneStatement(ctx context.Context, what string, purge func(ctx context.Context, before time.Time) (int64, error)) {
	started := time.Now()
	deleted, err := runBatch(ctx, j.cfg.BatchTimeout, func(ctx context.Context) (int64, error) {
		return purge(ctx, j.cfg.Now())
	})
	batches := 0
	if deleted > 0 {
		batches = 1
	}
	j.logPurge(ctx, what, deleted, batches, err, time.Since(started))
}

// logPurge logs the outcome of one purge of what (such as "dead
// sessions"): Info when it deleted rows, Debug when there were none or the
// janitor is stopping, Warn when it failed.
func (j *Janitor) logPurge(ctx context.Context, what string, deleted int64, batches int, err error, took time.Duration) {
	attrs := []any{slog.Int64("deleted", deleted), slog.Int("batches", batches)}
	switch {
	case ctx.Err() != nil:
		// Stopping: not a failure worth a warning.
		j.logger.DebugContext(ctx, "luciapg: purge of "+what+" stopped", attrs...)
	case err != nil:
		j.logger.WarnContext(ctx, "luciapg: purge of "+what+" failed", append(attrs, slog.Any("error", err))...)
	case deleted == 0:
		j.logger.DebugContext(ctx, "luciapg: purged "+what, append(attrs, slog.Duration("duration", took))...)
	default:
		j.logger.InfoContext(ctx, "luciapg: purged "+what, append(attrs, slog.Duration("duration", took))...)
	}
}
