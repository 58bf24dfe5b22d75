package sessioncache_test

import (
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// conformancePoolSize is kept small so the concurrency case makes several
// times more calls than there are connections.
const conformancePoolSize = 4

// TestSessionCacheConformance: the cache is a whole Adapter, passing every
// case the Store passes, including those that change rows behind its back
// through Storage.
func TestSessionCacheConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			url := testdb.NewURL(t)
			pool := testdb.Pool(t, url, conformancePoolSize)
			cache, err := sessioncache.New(t.Context(), luciapg.New(pool), sessioncache.Config{ConnString: url})
			if err != nil {
				t.Fatalf("NewSessionCache: %v", err)
			}
			t.Cleanup(func() { _ = cache.Close() })
			return cache, adaptertest.SQLStorage(pool)
		},
		Concurrency: 8 * conformancePoolSize,
	})
}
