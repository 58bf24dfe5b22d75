package replica

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// errNotFresh is what a checkedDB's first statement returns when the
// connection turned out not to be a fresh standby of the primary: the
// router then asks the primary.
var errNotFresh = errors.New("replica: the standby connection is not a fresh standby of the primary")

// checkedDB is a luciapg.DB on one connection of the standby pool that
// checks the connection's state (stateSQL) together with the read's first
// statement, in one round trip (a pipeline of two statements), and
// refuses the read's result unless judge finds the connection fresh. The
// state is read first, so the read sees at least everything replayed up
// to the position judged. Not safe for concurrent use (one read's).
type checkedDB struct {
	conn    *pgxpool.Conn
	lag     *standbyLag
	pos     *positions
	facts   *serverFacts
	checked bool    // the state was read
	verdict verdict // judge's, once checked
}

// first runs the state query and sql in one batch; it returns the rows of
// sql if the connection is fresh, errNotFresh if not.
func (c *checkedDB) first(ctx context.Context, sql string, args []any) (pgx.Rows, error) {
	c.checked = true
	batch := &pgx.Batch{}
	batch.Queue(stateSQL)
	batch.Queue(sql, args...)
	results := c.conn.SendBatch(ctx, batch)
	var st connState
	if err := st.scan(results.QueryRow()); err != nil {
		_ = results.Close()
		return nil, err
	}
	if c.verdict = c.lag.judge(c.pos, c.facts, st); !c.verdict.fresh {
		_ = results.Close()
		return nil, errNotFresh
	}
	rows, err := results.Query()
	if err != nil {
		_ = results.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, results: results}, nil
}

// check reads the state in a round trip of its own, for the statements
// that are not pipelined (no read of the Store's uses them).
func (c *checkedDB) check(ctx context.Context) error {
	c.checked = true
	var st connState
	if err := st.scan(c.conn.QueryRow(ctx, stateSQL)); err != nil {
		return err
	}
	if c.verdict = c.lag.judge(c.pos, c.facts, st); !c.verdict.fresh {
		return errNotFresh
	}
	return nil
}

// Query implements luciapg.DB.
func (c *checkedDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if c.checked {
		return c.conn.Query(ctx, sql, args...)
	}
	return c.first(ctx, sql, args)
}

// QueryRow implements luciapg.DB.
func (c *checkedDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if c.checked {
		return c.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := c.first(ctx, sql, args)
	return &firstRow{rows: rows, err: err}
}

// Exec implements luciapg.DB.
func (c *checkedDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if !c.checked {
		if err := c.check(ctx); err != nil {
			return pgconn.CommandTag{}, err
		}
	}
	return c.conn.Exec(ctx, sql, args...)
}

// Begin implements luciapg.DB.
func (c *checkedDB) Begin(ctx context.Context) (pgx.Tx, error) {
	if !c.checked {
		if err := c.check(ctx); err != nil {
			return nil, err
		}
	}
	return c.conn.Begin(ctx)
}

// batchRows are a batch's rows; closing them closes the batch.
type batchRows struct {
	pgx.Rows
	results pgx.BatchResults
	closed  bool
	err     error
}

// Close closes the rows and the batch.
func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.results.Close()
}

// Err returns the rows' error, or the batch's once closed.
func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is pgx.Row over rows, as pgx's own QueryRow does.
type firstRow struct {
	rows pgx.Rows
	err  error
}

// Scan implements pgx.Row.
func (r *firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
