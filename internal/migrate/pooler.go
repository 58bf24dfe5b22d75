package migrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// requireDirect refuses file, a transaction:false migration, when the
// connection goes through a pooling proxy: its session-level advisory lock
// would be taken on one server connection and might be released on
// another, staying held for good. A proxy such as PgBouncer gives its
// clients a made-up backend process id, so the id the connection announced
// at startup differs from the pg_backend_pid() of the server connection
// running tx; on a direct connection they are always equal.
func (m *migrator) requireDirect(ctx context.Context, tx pgx.Tx, file migrationFile) error {
	var backendPID uint32
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backendPID); err != nil {
		return stopped(ctx, err)
	}
	if backendPID != m.conn.PgConn().PID() {
		return fmt.Errorf("%s is a transaction:false migration, which needs a direct connection to PostgreSQL, and this one goes through a connection pooler such as PgBouncer; nothing was applied: pass a direct connection string", file.name)
	}
	return nil
}
