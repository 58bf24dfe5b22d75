// Package migrate applies dbmate migration files over one pgx connection,
// for luciapg.Migrate. See Run.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/luciapg/luciapg/internal/connerr"
	"github.com/luciapg/luciapg/internal/input"
)

// LockKey is the advisory lock that serializes concurrent migrations on
// one database ("luciapg" in ASCII).
const LockKey = migrationLockKey

// Run applies the dbmate migration files at the root of migrations that
// table does not record yet, over one connection made from a copy of
// connConfig, and returns the names of the files it applied, in order.
//
// The files and the table are dbmate's (a "-- migrate:up" and a
// "-- migrate:down" section, the version the file name's leading digits,
// the table "version varchar PRIMARY KEY"), so the dbmate CLI and Run see
// each other's work. Only the up sections run; dbmate is not needed.
//
// All pending migrations of a call run in one transaction, under a
// transaction-level advisory lock (pg_advisory_xact_lock) that serializes
// calls on the database, so each migration runs once, and a failing or
// cancelled call leaves nothing applied and nothing recorded. It works
// through a transaction-pooling proxy such as PgBouncer. A file whose up
// line says "transaction:false" (for CREATE INDEX CONCURRENTLY, say) is
// the exception: it runs alone, outside a transaction, under a
// session-level advisory lock, which is not safe through a
// transaction-pooling proxy: through one (detected by its made-up backend
// process id), the call is refused before anything is applied. Its
// statements run as one query, which PostgreSQL makes atomic unless a
// statement refuses a transaction, so such a file should hold one
// statement.
//
// A cancelled ctx stops the call between migrations or cancels the running
// statement, and the transaction rolls back. Every error is one line that
// names the file or the problem, never the connection's password.
func Run(ctx context.Context, connConfig *pgx.ConnConfig, migrations fs.FS, table string) ([]string, error) {
	if connConfig == nil {
		return nil, fmt.Errorf("%w: luciapg: migrate: the connection config is nil", input.ErrInvalidInput)
	}
	if table == "" {
		return nil, fmt.Errorf("%w: luciapg: migrate: migrations table name is empty", input.ErrInvalidInput)
	}
	files, err := readMigrations(migrations)
	if err != nil {
		return nil, fmt.Errorf("luciapg: migrate: %w", err)
	}
	// A copy: the caller's config may be its pool's, and is not changed.
	cfg := connConfig.Copy()
	// No statement cache: named prepared statements break behind a
	// transaction-pooling proxy.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	// On cancellation, ask the server to cancel the statement rather than
	// drop the connection (pgx's default): a dropped client does not stop
	// a statement waiting on a lock, and a transaction:false migration
	// would go on to finish, unrecorded, after Run returned.
	cfg.BuildContextWatcherHandler = func(pgConn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pgConn, DeadlineDelay: cancelGrace}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("luciapg: migrate: %w", connerr.Explain(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m := &migrator{conn: conn, table: pgx.Identifier(strings.Split(table, ".")).Sanitize()}
	var applied []string
	for {
		done, alone, err := m.applyInTransaction(ctx, files)
		if err != nil {
			return applied, fmt.Errorf("luciapg: migrate: %w", err)
		}
		applied = append(applied, done...)
		if alone == nil {
			return applied, nil
		}
		ran, err := m.applyAlone(ctx, *alone)
		if err != nil {
			return applied, fmt.Errorf("luciapg: migrate: %w", err)
		}
		if ran {
			applied = append(applied, alone.name)
		}
	}
}

// cancelGrace is how long a cancelled Run waits for the server to
// confirm the cancellation before dropping the connection.
const cancelGrace = 10 * time.Second

// migrator applies migrations on one connection.
type migrator struct {
	conn  *pgx.Conn
	table string // quoted
}

// applyInTransaction applies, in one transaction under the transaction-level
// lock, the pending migrations up to the first that must run alone, which
// it returns (nil when none is left).
func (m *migrator) applyInTransaction(ctx context.Context, files []migrationFile) (done []string, alone *migrationFile, err error) {
	tx, err := m.lockedTx(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	applied, err := m.appliedVersions(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	for i := range files {
		file := &files[i]
		if applied[file.version] {
			continue
		}
		if !file.transaction {
			if err := m.requireDirect(ctx, tx, *file); err != nil {
				return nil, nil, err
			}
			alone = file
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err := m.apply(ctx, tx, *file); err != nil {
			if len(done) > 0 {
				return nil, nil, fmt.Errorf("%w; rolled back with it: %s", err, strings.Join(done, ", "))
			}
			return nil, nil, err
		}
		done = append(done, file.name)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, nil, fmt.Errorf("committing %s: %w", strings.Join(done, ", "), stopped(ctx, err))
	}
	return done, alone, nil
}

// applyAlone applies a transaction:false migration outside any
// transaction, under the session-level lock, and reports whether it ran
// (another process may have applied it first).
func (m *migrator) applyAlone(ctx context.Context, file migrationFile) (bool, error) {
	if err := m.lockSession(ctx); err != nil {
		return false, err
	}
	defer func() {
		// Closing the connection would release it too, but not behind a
		// proxy, and a caller's next call may reuse nothing of this one.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = m.conn.Exec(unlockCtx, "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	// Another process may have applied it between our transaction and the lock.
	applied, err := m.appliedVersions(ctx, m.conn)
	if err != nil || applied[file.version] {
		return false, err
	}
	if err := m.runUp(ctx, m.conn, file); err != nil {
		return false, err
	}
	// Applied: record it even if ctx has just ended, or it would run again.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := m.record(recordCtx, m.conn, file); err != nil {
		return true, fmt.Errorf("%s was applied but recording it in the migrations table failed (insert its version %s by hand): %w", file.name, file.version, err)
	}
	return true, nil
}

// execer is a connection or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// appliedVersions creates the migrations table if it is missing, with
// dbmate's definition, and returns the versions it records.
func (m *migrator) appliedVersions(ctx context.Context, db execer) (map[string]bool, error) {
	if _, err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+m.table+" (version varchar PRIMARY KEY)"); err != nil {
		return nil, fmt.Errorf("creating the migrations table: %w", stopped(ctx, err))
	}
	rows, err := db.Query(ctx, "SELECT version FROM "+m.table)
	if err != nil {
		return nil, fmt.Errorf("reading the migrations table: %w", stopped(ctx, err))
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading the migrations table: %w", stopped(ctx, err))
	}
	applied := make(map[string]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

// apply runs file's up section and records its version, in db's
// transaction.
func (m *migrator) apply(ctx context.Context, db execer, file migrationFile) error {
	if err := m.runUp(ctx, db, file); err != nil {
		return err
	}
	if err := m.record(ctx, db, file); err != nil {
		return fmt.Errorf("%s: recording it in the migrations table: %w", file.name, stopped(ctx, err))
	}
	return nil
}

// runUp runs file's up section as one simple-protocol query (no arguments),
// so it may hold many statements; an error names the file and the line.
func (m *migrator) runUp(ctx context.Context, db execer, file migrationFile) error {
	if _, err := db.Exec(ctx, file.up); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", file.name, stopped(ctx, err))
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Position > 0 {
			return fmt.Errorf("%s line %d: %w", file.name, file.lineOf(pgErr.Position), err)
		}
		return fmt.Errorf("%s: %w", file.name, err)
	}
	return nil
}

func (m *migrator) record(ctx context.Context, db execer, file migrationFile) error {
	_, err := db.Exec(ctx, "INSERT INTO "+m.table+" (version) VALUES ($1)", file.version)
	return err
}

// stopped returns ctx's error when ctx has ended, else err: a cancelled
// statement fails with the server's "canceling statement" error, and the
// caller wants to know it was its own cancellation.
func stopped(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return err
}
