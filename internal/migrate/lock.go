package migrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migrationLockKey is the advisory lock that serializes concurrent Migrate
// and MigrateFS calls on one database ("luciapg" in ASCII).
const migrationLockKey int64 = 0x6c7563696170_67

// lockWaitSlice bounds one wait for the migration lock; the wait then
// starts again in a new transaction. A waiting statement holds a snapshot,
// and CREATE INDEX CONCURRENTLY (a transaction:false migration, under the
// lock) waits for every older snapshot to end: an unbounded wait would
// deadlock with it. It is below PostgreSQL's default deadlock_timeout
// (1s), so a waiter gives way before the server looks for a deadlock.
const lockWaitSlice = "100ms"

// lockedTx begins a read-committed transaction holding the migration lock
// at transaction level (released by its commit or rollback), waiting for
// it in slices of lockWaitSlice. Read committed, whatever the database's
// default, so statements after the lock see what the previous holder
// committed.
func (m *migrator) lockedTx(ctx context.Context) (pgx.Tx, error) {
	return m.waitForLock(ctx, "SELECT pg_advisory_xact_lock($1)")
}

// lockSession takes the migration lock at session level, for a
// transaction:false migration; the caller unlocks it. The lock is taken in
// a transaction only to bound the wait (SET LOCAL lock_timeout) and
// outlives it.
func (m *migrator) lockSession(ctx context.Context) error {
	tx, err := m.waitForLock(ctx, "SELECT pg_advisory_lock($1)")
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("waiting for the migration lock: %w", stopped(ctx, err))
	}
	return nil
}

// waitForLock runs lockSQL in a new transaction with lock_timeout set to
// lockWaitSlice, again in a new transaction each time the wait gives way,
// until it succeeds; it returns the transaction with lock_timeout as it was.
func (m *migrator) waitForLock(ctx context.Context, lockSQL string) (pgx.Tx, error) {
	for {
		tx, err := m.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
		if err != nil {
			return nil, fmt.Errorf("waiting for the migration lock: %w", stopped(ctx, err))
		}
		var previous string
		err = tx.QueryRow(ctx, "SELECT current_setting('lock_timeout')").Scan(&previous)
		if err == nil {
			_, err = tx.Exec(ctx, "SELECT set_config('lock_timeout', $1, true)", lockWaitSlice)
		}
		if err == nil {
			_, err = tx.Exec(ctx, lockSQL, migrationLockKey)
		}
		if err == nil {
			_, err = tx.Exec(ctx, "SELECT set_config('lock_timeout', $1, true)", previous)
			if err == nil {
				return tx, nil
			}
		}
		_ = tx.Rollback(context.WithoutCancel(ctx))
		if ctx.Err() != nil || !lockWaitGaveWay(err) {
			return nil, fmt.Errorf("waiting for the migration lock: %w", stopped(ctx, err))
		}
	}
}

// lockWaitGaveWay reports a lock wait ended by lock_timeout
// (lock_not_available) or chosen to break a deadlock (deadlock_detected).
func lockWaitGaveWay(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "40P01")
}
