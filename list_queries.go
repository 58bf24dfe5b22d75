package luciapg

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// The statements that return a list of rows are written here rather than
// in db/queries: sqlc's generated :many methods allocate a row struct and
// an argument slice for every row and return their own row type, which the
// Store would then copy. These two run on every sign-in and session
// listing, so they scan straight into the contract's types (see the
// allocations in bench/results and BenchmarkGetSessionsByUserID).
const (
	selectSessionsByUserIDSQL = `SELECT id, user_id, active_expires, idle_expires
FROM auth_session
WHERE user_id = $1
ORDER BY id`

	selectKeysByUserIDSQL = `SELECT id, user_id, primary_key, hashed_password, expires
FROM auth_key
WHERE user_id = $1
ORDER BY id`
)

// collectRows runs sql and scans each row into scans, which point into
// *row, appending a copy of *row per row. It returns an empty, non-nil
// slice when there are no rows.
func collectRows[T any](ctx context.Context, db DB, row *T, scans []any, sql string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out := []T{}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		out = append(out, *row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
