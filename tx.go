package luciapg

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/dbgen"
)

// rollbackTimeout bounds a rollback run after the caller's context is done.
const rollbackTimeout = 5 * time.Second

// maxDeadlockRetries is how often a transaction the Store owns is retried
// after PostgreSQL broke a deadlock by aborting it.
const maxDeadlockRetries = 3

// inTx runs fn in a transaction of its own: a real one on a pool or
// connection, a savepoint inside a caller's transaction. It commits when fn
// succeeds and otherwise rolls back, even when ctx is already cancelled or
// fn panics, so the connection always goes back to its pool clean. When the
// Store owns the transaction, a deadlock victim is retried.
func (s *Store) inTx(ctx context.Context, fn func(q *dbgen.Queries) error) error {
	return s.inTxStore(ctx, func(tx *Store) error { return fn(tx.queries) })
}

// inTxStore is inTx for fn that takes a Store on the transaction: one that
// runs a Store method's body (see store_records.go).
func (s *Store) inTxStore(ctx context.Context, fn func(tx *Store) error) error {
	_, callerTx := s.db.(pgx.Tx)
	for attempt := 0; ; attempt++ {
		err := s.runTx(ctx, fn)
		if callerTx || attempt == maxDeadlockRetries || !isDeadlock(err) || ctx.Err() != nil {
			return interpretError(err)
		}
	}
}

func (s *Store) runTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if done {
			return
		}
		// The caller's context may be the reason we are here; roll back
		// regardless, but never wait forever.
		rollbackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		_ = tx.Rollback(rollbackCtx)
	}()
	if err := fn(&Store{db: tx, queries: s.queries.WithTx(tx)}); err != nil {
		return err
	}
	done = true
	return tx.Commit(ctx)
}
