package auth_test

import (
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// BenchmarkValidateSessionUserCached is ValidateSessionUser answered by a
// session cache over the Store: the hot path that recording a session's
// last use must leave without a round trip and, once a session's use is
// recorded for the interval, without an allocation.
func BenchmarkValidateSessionUserCached(b *testing.B) {
	url := testdb.NewURL(b)
	store := luciapg.New(testdb.Pool(b, url, 4))
	cache, err := sessioncache.New(b.Context(), store, sessioncache.Config{ConnString: url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cache.Close() })
	a, err := auth.New(cache, auth.Config{})
	if err != nil {
		b.Fatal(err)
	}
	user, err := a.CreateUser(b.Context(), auth.CreateUserParams{})
	if err != nil {
		b.Fatal(err)
	}
	session, err := a.CreateSession(b.Context(), user.ID)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for cache.Stats().Hits == 0 { // the cache serves once its first read of the change log is done
		if time.Now().After(deadline) {
			b.Fatal("the cache served no validation from memory within 10 s")
		}
		if _, _, err := a.ValidateSessionUser(b.Context(), session.ID); err != nil {
			b.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	hits := cache.Stats().Hits
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := a.ValidateSessionUser(b.Context(), session.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cache.Stats().Hits-hits)/float64(b.N), "hits/op")
}
