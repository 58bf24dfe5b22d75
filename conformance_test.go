package luciapg_test

import (
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/internal/testdb"
)

// conformancePoolSize is kept small so the concurrency case makes several
// times more calls than there are connections.
const conformancePoolSize = 4

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			pool := testdb.Pool(t, testdb.NewURL(t), conformancePoolSize)
			return luciapg.New(pool), adaptertest.SQLStorage(pool)
		},
		Concurrency: 8 * conformancePoolSize,
	})
}
