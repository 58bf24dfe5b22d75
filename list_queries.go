package luciapg

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// The statements that return a list of rows live in db/queries like every
// other, and sqlc checks them, but the Store runs their text (exported by
// sqlc as dbgen.GetSessionsByUserID and dbgen.GetKeysByUserID) with
// collectRows instead of the generated :many methods. Those allocate a row
// struct and an argument slice for every row and return dbgen's row type,
// which the Store would then copy; these lists are read on every sign-in
// and session listing (see BenchmarkGetSessionsByUserID).

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
