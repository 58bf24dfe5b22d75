package luciapg

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/dbgen"
)

// PurgeDeadSessions deletes every session whose idle period ended before
// now, in batches as opts says, and returns how many it deleted. Lucia only
// deletes a user's dead sessions when that user signs in again; this
// purges the sessions of users who never come back. The longest-dead
// sessions go first.
//
// Each batch is a transaction of its own, so on a pool every batch commits
// by itself and no lock is held for the whole purge; readers and writers of
// other sessions are never blocked. Given a transaction, the batches run in
// it, each in a savepoint. On error (ctx's included) what was already
// deleted is returned with it. Sessions locked by a concurrent transaction
// are skipped, not waited for, so purges may run side by side.
//
// The session cache's change log does not record the sessions a batch
// deletes that were dead by the earlier of now and this process's clock;
// every other delete is logged, so a now in the future costs log rows but
// never hides the deletion of a session a cache may still serve.
func (s *Store) PurgeDeadSessions(ctx context.Context, now time.Time, opts PurgeOptions) (int64, error) {
	nowMillis := now.UnixMilli()
	unlogged := min(nowMillis, time.Now().UnixMilli())
	_, callerTx := s.db.(pgx.Tx)
	return purgeInBatches(ctx, opts, func(ctx context.Context, batchSize int32) (int64, error) {
		var n int64
		err := s.inTx(ctx, func(q *dbgen.Queries) error {
			// In the batch's own transaction: the setting ends with it,
			// and through PgBouncer in transaction mode it stays on the
			// server connection the DELETE runs on.
			if err := q.SetPurgingBefore(ctx, unlogged); err != nil {
				return err
			}
			var err error
			n, err = q.DeleteDeadSessionsBatch(ctx, dbgen.DeleteDeadSessionsBatchParams{
				NowMillis: nowMillis,
				BatchSize: batchSize,
			})
			if err != nil || !callerTx {
				return err
			}
			// A savepoint's setting outlives its release: end it here.
			return q.ClearPurgingBefore(ctx)
		})
		if err != nil {
			return 0, err
		}
		return n, nil
	})
}

// CountDeadSessions returns how many sessions' idle period ended before
// now: what PurgeDeadSessions would delete.
func (s *Store) CountDeadSessions(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.queries.CountDeadSessions(ctx, now.UnixMilli())
	return n, interpretError(err)
}
