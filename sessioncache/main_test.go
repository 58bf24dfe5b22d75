package sessioncache_test

import (
	"os"
	"testing"

	"github.com/luciapg/luciapg/internal/testdb"
)

// TestMain gives the example tests a fresh, empty database in DATABASE_URL,
// so they read exactly like application code.
func TestMain(m *testing.M) {
	os.Exit(testdb.Main(m, "DATABASE_URL"))
}
