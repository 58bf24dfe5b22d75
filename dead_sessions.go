package luciapg

import (
	"context"
	"fmt"
	"math"

	"github.com/luciapg/luciapg/dbgen"
)

// DeleteDeadSessions deletes every session whose idle period ended before
// nowMillis (milliseconds since the Unix epoch), batchSize rows per
// statement, and returns how many it deleted. Lucia only deletes a user's
// dead sessions when that user signs in again; this purges the sessions of
// users who never come back.
//
// Each batch is a statement of its own, so on a pool every batch commits by
// itself and no lock is held for the whole purge; readers and writers of
// other sessions are never blocked. Given a transaction, the batches run in
// it. On error the count of sessions already deleted is returned with it.
// Sessions locked by a concurrent transaction are skipped, not waited for.
func (s *Store) DeleteDeadSessions(ctx context.Context, nowMillis int64, batchSize int) (int64, error) {
	if err := checkBatchSize(batchSize); err != nil {
		return 0, err
	}
	var total int64
	for {
		n, err := s.deleteDeadSessionsBatch(ctx, nowMillis, batchSize)
		total += n
		if err != nil || n < int64(batchSize) {
			return total, err
		}
	}
}

// DeleteDeadSessionsBatch deletes at most batchSize sessions whose idle
// period ended before nowMillis, in one statement, and returns how many it
// deleted. It is one step of DeleteDeadSessions, for callers that report
// progress between batches (the luciapg CLI's sessions prune): call it until
// it returns fewer than batchSize.
func (s *Store) DeleteDeadSessionsBatch(ctx context.Context, nowMillis int64, batchSize int) (int64, error) {
	if err := checkBatchSize(batchSize); err != nil {
		return 0, err
	}
	return s.deleteDeadSessionsBatch(ctx, nowMillis, batchSize)
}

// deleteDeadSessionsBatch is DeleteDeadSessionsBatch for callers that have
// checked batchSize once already (DeleteDeadSessions, the Janitor).
func (s *Store) deleteDeadSessionsBatch(ctx context.Context, nowMillis int64, batchSize int) (int64, error) {
	n, err := s.queries.DeleteDeadSessionsBatch(ctx, dbgen.DeleteDeadSessionsBatchParams{
		NowMillis: nowMillis,
		BatchSize: int32(batchSize),
	})
	return n, interpretError(err)
}

// CountDeadSessions returns how many sessions' idle period ended before
// nowMillis: what DeleteDeadSessions would delete.
func (s *Store) CountDeadSessions(ctx context.Context, nowMillis int64) (int64, error) {
	n, err := s.queries.CountDeadSessions(ctx, nowMillis)
	return n, interpretError(err)
}

func checkBatchSize(batchSize int) error {
	if batchSize < 1 || batchSize > math.MaxInt32 {
		return fmt.Errorf("%w: batch size %d is not between 1 and %d", ErrInvalidInput, batchSize, math.MaxInt32)
	}
	return nil
}
