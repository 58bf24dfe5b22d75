package luciapg

import (
	"context"

	"github.com/luciapg/luciapg/dbgen"
)

// DeleteDeadSessions deletes every session whose idle period ended before
// nowMillis (milliseconds since the Unix epoch), batchSize rows per
// statement, and returns how many it deleted. Lucia only deletes a user's
// dead sessions when that user signs in again; this purges the sessions of
// users who never come back. It is PurgeDeadSessions without a timeout or
// progress report.
func (s *Store) DeleteDeadSessions(ctx context.Context, nowMillis int64, batchSize int) (int64, error) {
	progress, err := s.PurgeDeadSessions(ctx, nowMillis, PurgeOptions{BatchSize: batchSize})
	return progress.Deleted, err
}

// PurgeDeadSessions deletes every session whose idle period ended before
// nowMillis, in batches as opts says, and returns what it deleted. The
// longest-dead sessions go first.
//
// Each batch is a statement of its own, so on a pool every batch commits by
// itself and no lock is held for the whole purge; readers and writers of
// other sessions are never blocked. Given a transaction, the batches run in
// it. On error (ctx's included) what was already deleted is returned with
// it. Sessions locked by a concurrent transaction are skipped, not waited
// for, so purges may run side by side.
func (s *Store) PurgeDeadSessions(ctx context.Context, nowMillis int64, opts PurgeOptions) (PurgeProgress, error) {
	return purgeInBatches(ctx, opts, func(ctx context.Context, batchSize int32) (int64, error) {
		n, err := s.queries.DeleteDeadSessionsBatch(ctx, dbgen.DeleteDeadSessionsBatchParams{
			NowMillis: nowMillis,
			BatchSize: batchSize,
		})
		return n, interpretError(err)
	})
}

// CountDeadSessions returns how many sessions' idle period ended before
// nowMillis: what DeleteDeadSessions would delete.
func (s *Store) CountDeadSessions(ctx context.Context, nowMillis int64) (int64, error) {
	n, err := s.queries.CountDeadSessions(ctx, nowMillis)
	return n, interpretError(err)
}
