package luciapg

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Statements returning a whole auth_user row (SELECT u.*, RETURNING *) have
// a result type that follows auth_user's columns, and applications add and
// drop attribute columns while their Store runs. pgx prepares each
// statement once per connection and caches it; once the columns change,
// PostgreSQL refuses to run the cached statement ("cached plan must not
// change result type", SQLSTATE 0A000) before it executes anything, and pgx
// drops it from the cache. So the Store runs such a statement again on the
// same connection, where pgx now prepares it afresh: once is enough unless
// another change to auth_user commits between that prepare and the
// execution, a round trip later, hence maxStalePlanRetries.
//
// In a caller's transaction the refused statement would abort the whole
// transaction, so there the statement runs behind a savepoint, sent in the
// same round trip: on 0A000 the Store rolls back to the savepoint and runs
// the statement again (once: preparing it inside the transaction locks
// auth_user against further changes until the transaction ends). Each of
// these calls is a subtransaction; a transaction making thousands of
// SetUser calls would be better split.

// userRowSavepoint is the savepoint around a user-returning statement in a
// caller's transaction. A caller's savepoint of the same name is shadowed
// only until the Store releases its own.
const userRowSavepoint = "luciapg_user_row"

// maxStalePlanRetries is how often a user-returning statement refused as a
// stale plan runs again outside a caller's transaction.
const maxStalePlanRetries = 2

// queryUser runs a statement returning at most one auth_user row. notFound
// is returned when there is none.
func (s *Store) queryUser(ctx context.Context, notFound error, sql string, args ...any) (User, error) {
	_, user, err := s.queryRowWithUser(ctx, notFound, 0, sql, args...)
	return user, err
}

// queryRowWithUser runs a statement returning at most one row whose columns
// from index first on are a whole auth_user row (the application's
// attribute columns included, so their number is known only now). It
// returns the row's decoded values and the user read from them, or notFound.
func (s *Store) queryRowWithUser(ctx context.Context, notFound error, first int, sql string, args ...any) ([]any, User, error) {
	var row userRow
	switch db := s.db.(type) {
	case pgx.Tx:
		row = queryUserRowInTx(ctx, db, first, sql, args)
	case *pgxpool.Pool:
		// The retry must run on the connection whose stale statement pgx
		// just dropped: another one may hold a stale copy of its own.
		conn, err := db.Acquire(ctx)
		if err != nil {
			return nil, User{}, interpretError(err)
		}
		defer conn.Release()
		row = queryUserRowRetrying(ctx, conn, first, sql, args)
	default:
		row = queryUserRowRetrying(ctx, s.db, first, sql, args)
	}
	switch {
	case row.err != nil:
		return nil, User{}, interpretError(row.err)
	case !row.found:
		return nil, User{}, notFound
	}
	return row.values, row.user, nil
}

// userRow is the outcome of a user-returning statement, its error as the
// driver reported it.
type userRow struct {
	values []any
	user   User
	found  bool
	err    error
}

// queryUserRowRetrying runs the statement on db, a connection or one of a
// pool's, and again while the columns changed since it was prepared.
func queryUserRowRetrying(ctx context.Context, db DB, first int, sql string, args []any) userRow {
	row := queryUserRow(ctx, db, first, sql, args)
	for retry := 0; retry < maxStalePlanRetries && isStalePlan(row.err); retry++ {
		row = queryUserRow(ctx, db, first, sql, args)
	}
	return row
}

// queryUserRowInTx runs the statement in the caller's transaction behind a
// savepoint, all three in one round trip, and on a stale plan rolls back
// to the savepoint and runs the statement once more.
func queryUserRowInTx(ctx context.Context, tx pgx.Tx, first int, sql string, args []any) userRow {
	batch := &pgx.Batch{}
	batch.Queue("SAVEPOINT " + userRowSavepoint)
	batch.Queue(sql, args...)
	batch.Queue("RELEASE SAVEPOINT " + userRowSavepoint)
	results := tx.SendBatch(ctx, batch)
	row := readBatchedUserRow(results, first)
	if err := results.Close(); row.err == nil {
		row.err = err
	}
	if !isStalePlan(row.err) {
		return row
	}
	if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+userRowSavepoint); err != nil {
		return userRow{err: err}
	}
	row = queryUserRow(ctx, tx, first, sql, args)
	if row.err != nil {
		return row
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+userRowSavepoint); err != nil {
		return userRow{err: err}
	}
	return row
}

// readBatchedUserRow reads the savepoint's result and then the statement's.
func readBatchedUserRow(results pgx.BatchResults, first int) userRow {
	if _, err := results.Exec(); err != nil {
		return userRow{err: err}
	}
	rows, err := results.Query()
	if err != nil {
		return userRow{err: err}
	}
	return readUserRow(rows, first)
}

func queryUserRow(ctx context.Context, db DB, first int, sql string, args []any) userRow {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return userRow{err: err}
	}
	return readUserRow(rows, first)
}

// readUserRow reads the one row rows may hold and closes rows.
func readUserRow(rows pgx.Rows, first int) userRow {
	defer rows.Close()
	if !rows.Next() {
		return userRow{err: rows.Err()}
	}
	values, err := rows.Values()
	if err != nil {
		return userRow{err: err}
	}
	user, err := userFromRow(rows.FieldDescriptions(), values, first)
	if err != nil {
		return userRow{err: err}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return userRow{err: err}
	}
	return userRow{values: values, user: user, found: true}
}
