package sessioncache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
	"github.com/luciapg/luciapg/sessioncache"
)

// suiteColumns are adaptertest's attribute columns, declared for
// memadapter.
var suiteColumns = []memadapter.Column{
	{Name: "username", Unique: true},
	{Name: "plan", NotNull: true, Default: "free"},
	{Name: "nickname"},
}

// TestCacheOverMemadapterConformance: a cache stacks over any adapter that
// throttles, a test adapter too, and passes the whole suite there. Its
// change log still lives in PostgreSQL; the rows live in memory.
func TestCacheOverMemadapterConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			mem := memadapter.New(suiteColumns...)
			cache, err := sessioncache.New(t.Context(), mem, sessioncache.Config{ConnString: testdb.NewURL(t), MaxLag: testMaxLag})
			if err != nil {
				t.Fatalf("sessioncache.New: %v", err)
			}
			t.Cleanup(func() { _ = cache.Close() })
			return cache, behind{mem}
		},
	})
}

// behind is adaptertest.Storage for a cache over memadapter: it reads and
// writes the memadapter under the cache, behind the cache's back.
type behind struct{ mem *memadapter.Adapter }

func (b behind) InsertUser(ctx context.Context, id, username string) error {
	_, err := b.mem.SetUser(ctx, luciapg.User{ID: id, Attributes: map[string]any{"username": username}}, nil)
	return err
}

func (b behind) InsertSession(ctx context.Context, session luciapg.Session) error {
	return b.mem.SetSession(ctx, session)
}

func (b behind) InsertKey(ctx context.Context, key luciapg.Key) error {
	return b.mem.SetKey(ctx, key)
}

func (b behind) User(ctx context.Context, id string) (luciapg.User, bool, error) {
	user, err := b.mem.GetUser(ctx, id)
	return found(user, err, luciapg.ErrInvalidUserID)
}

func (b behind) Session(ctx context.Context, id string) (luciapg.Session, bool, error) {
	session, err := b.mem.GetSession(ctx, id)
	return found(session, err, luciapg.ErrInvalidSessionID)
}

func (b behind) Key(ctx context.Context, id string) (luciapg.Key, bool, error) {
	key, err := b.mem.GetKey(ctx, id)
	return found(key, err, luciapg.ErrInvalidKeyID)
}

// found turns a read's not-found error into false.
func found[T any](v T, err, notFound error) (T, bool, error) {
	if errors.Is(err, notFound) {
		return v, false, nil
	}
	return v, err == nil, err
}
