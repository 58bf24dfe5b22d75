package tokens_test

import (
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// init adds PgBouncer to the backends every eachBackend test runs on: a
// Store whose pool goes through one PgBouncer (transaction pooling, 8
// server connections per database, pgx's exec mode) in front of the test
// server.
func init() {
	backends = append(backends, backend{"pgbouncer", func(t *testing.T) storage {
		bouncer := pgcluster.SharedPgBouncer(t, testdb.ServerURL(t))
		return luciapg.New(testdb.Pool(t, bouncer.URL(testdb.NewURL(t), "exec"), 0))
	}})
}
