package auth_test

import (
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// pgbouncerExecMode is the pgx mode docs/operations.md recommends behind PgBouncer
// in transaction pooling mode.
const pgbouncerExecMode = "exec"

// init adds PgBouncer to the backends every eachBackend test runs on: a
// Store whose pool goes through one PgBouncer (transaction pooling, 8
// server connections per database) in front of the test server.
func init() {
	backends = append(backends, backend{"pgbouncer", func(t *testing.T) luciapg.ThrottlingAdapter {
		bouncer := pgcluster.SharedPgBouncer(t, testdb.ServerURL(t))
		return luciapg.New(testdb.Pool(t, bouncer.URL(testdb.NewURL(t), pgbouncerExecMode), 0))
	}})
}
