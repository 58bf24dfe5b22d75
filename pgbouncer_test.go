package luciapg_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// pgbouncerModes are pgx's query exec modes that work behind PgBouncer 1.18
// in transaction pooling mode: none keeps a named prepared statement on a
// server connection from one transaction to the next.
var pgbouncerModes = []string{"exec", "simple_protocol", "cache_describe"}

// TestStoreConformanceThroughPgBouncer runs the whole conformance suite on
// a Store whose pool goes through PgBouncer, once per working exec mode,
// with more client connections than PgBouncer has server connections.
func TestStoreConformanceThroughPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 4)
	for _, mode := range pgbouncerModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			adaptertest.Run(t, adaptertest.Harness{
				New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
					pool := testdb.Pool(t, bouncer.URL(testdb.NewURL(t), mode), 8)
					return luciapg.New(pool), adaptertest.SQLStorage(pool)
				},
				Concurrency: 64,
			})
		})
	}
}

// TestPgBouncerBreaksPgxDefaultMode is why the modes above are needed:
// with pgx's default (cache_statement), each client connection prepares
// named statements, and behind PgBouncer 1.18 in transaction mode a second
// client reaching the same server connection finds the name taken.
func TestPgBouncerBreaksPgxDefaultMode(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 1)
	url := bouncer.URL(testdb.NewURL(t), "")
	ctx := context.Background()
	var failed error
	for range 2 {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := luciapg.New(conn).GetSession(ctx, "no-such-session"); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			failed = err
		}
	}
	var pgErr *pgconn.PgError
	if !errors.As(failed, &pgErr) || pgErr.Code != "42P05" {
		t.Fatalf("second client with pgx's default mode: %v; want duplicate_prepared_statement (42P05) — has PgBouncer started tracking prepared statements (1.21+ with max_prepared_statements)?", failed)
	}
}
