package luciapg

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg/internal/connerr"
)

// Connect opens a pgx pool on connString and pings the server, so that a
// wrong connection string, an absent server, a missing database or role
// fails here, in one line that says what to do, rather than at the first
// query:
//
//	not a connection string (want postgres://user@host:port/database or host=... dbname=...; ...)
//	server not reachable at 127.0.0.1:5432 — start PostgreSQL or set DATABASE_URL
//	database app does not exist at 127.0.0.1:5432 — create it with createdb app
//	role bob does not exist at 127.0.0.1:5432 — create it with createuser bob, or connect as another user
//
// The message never repeats the connection string, which may hold a
// password; the error wraps pgx's, for errors.As.
//
// connString is anything pgxpool.ParseConfig accepts: a postgres:// URL
// (with or without sslmode), a keyword/value string such as "host=db
// dbname=app", or "" for libpq's PG* environment variables alone. pgxpool's
// pool_* parameters (pool_max_conns and the like) size the pool.
func Connect(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, connerr.Explain(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, connerr.Explain(err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, connerr.Explain(err)
	}
	return pool, nil
}
