package luciapg

import (
	"context"
	"fmt"
	"math"
	"time"
)

// PurgeOptions says how a purge deletes rows: how many per statement, how
// long each statement may take, and whom to tell after each.
type PurgeOptions struct {
	// BatchSize is the number of rows deleted per statement, at most
	// math.MaxInt32; zero means DefaultBatchSize. Each statement commits on
	// its own (on a pool or connection), so no lock is held for the whole
	// purge.
	BatchSize int
	// BatchTimeout bounds each statement; zero means only ctx bounds it. A
	// statement that times out ends the purge with its error.
	BatchTimeout time.Duration
	// AfterBatch, when not nil, is called after each batch that deleted
	// rows, with the purge's running totals (rows deleted, and batches
	// that deleted any): a progress report. The purge checks ctx before
	// the next batch, so cancelling it here stops the purge between two
	// batches.
	AfterBatch func(deleted int64, batches int)
}

// DefaultBatchSize is the BatchSize of a purge whose PurgeOptions leave it
// zero: small enough that each statement holds its locks briefly, large
// enough that a million dead rows take a thousand statements.
const DefaultBatchSize = 1000

// purgeInBatches is luciapg's one batch loop: the purges, the Janitor and the CLI's sessions prune all purge through it. It calls
// deleteBatch until a batch deletes fewer than opts.BatchSize rows, ctx is
// done, or a batch fails, and returns what was deleted with the error. Any
// other kind of stale row is purged by passing its own deleteBatch.
func purgeInBatches(ctx context.Context, opts PurgeOptions, deleteBatch func(ctx context.Context, batchSize int32) (int64, error)) (int64, error) {
	if err := checkPurgeOptions(opts); err != nil {
		return 0, err
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	var deleted int64
	batches := 0
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		n, err := runBatch(ctx, opts.BatchTimeout, func(ctx context.Context) (int64, error) {
			return deleteBatch(ctx, int32(opts.BatchSize))
		})
		if n > 0 {
			deleted += n
			batches++
			if opts.AfterBatch != nil {
				opts.AfterBatch(deleted, batches)
			}
		}
		if err != nil || n < int64(opts.BatchSize) {
			return deleted, err
		}
	}
}

// runBatch runs one batch under timeout, when there is one.
func runBatch(ctx context.Context, timeout time.Duration, batch func(context.Context) (int64, error)) (int64, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return batch(ctx)
}

func checkPurgeOptions(opts PurgeOptions) error {
	if opts.BatchSize < 0 || opts.BatchSize > math.MaxInt32 {
		return fmt.Errorf("%w: batch size %d is not between 1 and %d", ErrInvalidInput, opts.BatchSize, math.MaxInt32)
	}
	if opts.BatchTimeout < 0 {
		return fmt.Errorf("%w: batch timeout %v is negative", ErrInvalidInput, opts.BatchTimeout)
	}
	return nil
}
