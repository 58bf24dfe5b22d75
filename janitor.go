package luciapg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults for the zero fields of JanitorConfig.
const (
	DefaultJanitorInterval     = 10 * time.Minute
	DefaultJanitorBatchSize    = 1000
	DefaultJanitorBatchTimeout = 10 * time.Second
)

// ErrJanitorRunning is returned by Janitor.Start when the janitor is already
// running.
var ErrJanitorRunning = errors.New("luciapg: janitor already running")

// JanitorConfig tells a Janitor how often and how hard to purge. Zero
// fields take the Default values above.
type JanitorConfig struct {
	// Interval is the time between the start of two purges. The first purge
	// runs when the janitor starts.
	Interval time.Duration
	// BatchSize is the number of sessions deleted per statement.
	BatchSize int
	// BatchTimeout bounds each batch statement. A batch that times out ends
	// that purge; the next one starts at the next interval.
	BatchTimeout time.Duration
	// Logger receives a record per purge (Info when it deleted sessions,
	// Debug when there were none, Warn when it failed). Nil logs nothing.
	Logger *slog.Logger
	// Now returns the time dead sessions are measured against; nil means
	// time.Now.
	Now func() time.Time
}

// Janitor purges dead sessions in the background, batch by batch as
// Store.DeleteDeadSessions does, between Start and Stop. A Janitor is safe
// for concurrent use.
type Janitor struct {
	store *Store
	cfg   JanitorConfig
	// logger is cfg.Logger, or one that discards everything when that is
	// nil: never the global logger.
	logger *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewJanitor returns a stopped janitor for store, or ErrInvalidInput when a
// field of cfg is negative or out of range.
func NewJanitor(store *Store, cfg JanitorConfig) (*Janitor, error) {
	if cfg.Interval < 0 || cfg.BatchTimeout < 0 {
		return nil, fmt.Errorf("%w: janitor interval and batch timeout must not be negative", ErrInvalidInput)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultJanitorInterval
	}
	if cfg.BatchTimeout == 0 {
		cfg.BatchTimeout = DefaultJanitorBatchTimeout
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultJanitorBatchSize
	}
	if err := checkBatchSize(cfg.BatchSize); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Janitor{store: store, cfg: cfg, logger: logger}, nil
}

// Start runs a purge now and then every Interval, in a goroutine of its
// own, until ctx is done or Stop is called. It returns ErrJanitorRunning if
// the janitor is already running.
func (j *Janitor) Start(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.done != nil {
		return ErrJanitorRunning
	}
	ctx, j.cancel = context.WithCancel(ctx)
	j.done = make(chan struct{})
	go j.run(ctx, j.done)
	return nil
}

// Stop cancels the running purge, if any, and waits until the janitor's
// goroutine has returned. Stopping a janitor that is not running does
// nothing. A stopped janitor can be started again.
func (j *Janitor) Stop() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.done == nil {
		return
	}
	j.cancel()
	<-j.done
	j.cancel, j.done = nil, nil
}

func (j *Janitor) run(ctx context.Context, done chan<- struct{}) {
	defer close(done)
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

// purge deletes dead sessions batch by batch, each under its own timeout,
// and logs the outcome once.
func (j *Janitor) purge(ctx context.Context) {
	started := time.Now()
	nowMillis := j.cfg.Now().UnixMilli()
	var deleted int64
	batches := 0
	for {
		batchCtx, cancel := context.WithTimeout(ctx, j.cfg.BatchTimeout)
		n, err := j.store.deleteDeadSessionsBatch(batchCtx, nowMillis, j.cfg.BatchSize)
		cancel()
		deleted += n
		batches++
		if ctx.Err() != nil {
			// Stopping: not a failure worth a warning.
			j.logger.DebugContext(ctx, "luciapg: dead session purge stopped",
				slog.Int64("deleted", deleted), slog.Int("batches", batches))
			return
		}
		if err != nil {
			j.logger.WarnContext(ctx, "luciapg: dead session purge failed",
				slog.Int64("deleted", deleted), slog.Int("batches", batches), slog.Any("error", err))
			return
		}
		if n < int64(j.cfg.BatchSize) {
			break
		}
	}
	level := slog.LevelInfo
	if deleted == 0 {
		level = slog.LevelDebug
	}
	j.logger.Log(ctx, level, "luciapg: purged dead sessions",
		slog.Int64("deleted", deleted), slog.Int("batches", batches),
		slog.Duration("duration", time.Since(started)))
}
