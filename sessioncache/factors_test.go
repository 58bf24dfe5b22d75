package sessioncache_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
	"github.com/luciapg/luciapg/sessioncache"
)

// A cache over an adapter that stores no second factors is still a
// luciapg.FactorAdapter (its type cannot tell), but every such call fails
// with errors.ErrUnsupported, in one line that says why, and reaches
// nothing.
func TestCacheOverAdapterWithoutFactors(t *testing.T) {
	t.Parallel()
	mem := memadapter.New(suiteColumns...)
	plain := struct {
		luciapg.Adapter
		luciapg.AttemptThrottle
	}{mem, mem}
	cache, err := sessioncache.New(t.Context(), plain, sessioncache.Config{ConnString: testdb.NewURL(t), MaxLag: testMaxLag})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	ctx := t.Context()
	if _, err := mem.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	calls := map[string]error{
		"SetTOTP": cache.SetTOTP(ctx, luciapg.TOTP{UserID: "u1", EncryptionKeyID: "k", EncryptedSecret: []byte("s")}),
		"CompletePendingLogin": cache.CompletePendingLogin(ctx, "p", time.Now(), luciapg.Session{ID: "s", UserID: "u1"},
			luciapg.SessionFactors{SessionID: "s", UserID: "u1", Factors: []string{luciapg.FactorPassword}, AuthenticatedAt: time.Now()}),
	}
	_, calls["GetUserFactors"] = cache.GetUserFactors(ctx, "u1")
	_, _, calls["GetSessionFactors"] = cache.GetSessionFactors(ctx, "s")
	for name, err := range calls {
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "FactorAdapter") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want one line wrapping errors.ErrUnsupported, naming luciapg.FactorAdapter", name, err)
		}
	}
	if got, err := mem.GetUserFactors(ctx, "u1"); err != nil || got != (luciapg.UserFactors{}) {
		t.Fatalf("a refused call reached the adapter: %+v, %v", got, err)
	}
}
