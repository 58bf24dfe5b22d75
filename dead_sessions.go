package luciapg

import (
	"context"
	"time"

	"github.com/luciapg/luciapg/dbgen"
)

// PurgeDeadSessions deletes every session whose idle period ended before
// now, in batches as opts says, and returns how many it deleted. Lucia only
// deletes a user's dead sessions when that user signs in again; this
// purges the sessions of users who never come back. The longest-dead
// sessions go first.
//
// Each batch is a statement of its own, so on a pool every batch commits by
// itself and no lock is held for the whole purge; readers and writers of
// other sessions are never blocked. Given a transaction, the batches run in
// it. On error (ctx's included) what was already deleted is returned with
// it. Sessions locked by a concurrent transaction are skipped, not waited
// for, so purges may run side by side.
func (s *Store) PurgeDeadSessions(ctx context.Context, now time.Time, opts PurgeOptions) (int64, error) {
	nowMillis := now.UnixMilli()
	return purgeInBatches(ctx, opts, func(ctx context.Context, batchSize int32) (int64, error) {
		n, err := s.queries.DeleteDeadSessionsBatch(ctx, dbgen.DeleteDeadSessionsBatchParams{
			NowMillis: nowMillis,
			BatchSize: batchSize,
		})
		return n, interpretError(err)
	})
}

// CountDeadSessions returns how many sessions' idle period ended before
// now: what PurgeDeadSessions would delete.
func (s *Store) CountDeadSessions(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.queries.CountDeadSessions(ctx, now.UnixMilli())
	return n, interpretError(err)
}
