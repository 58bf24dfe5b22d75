package sessioncache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// cacheEnv is a SessionCache on a fresh database, with a second pool that
// writes as another process would, behind the cache's back.
type cacheEnv struct {
	url   string
	pool  *pgxpool.Pool // the Store's
	other *pgxpool.Pool // another writer: a Lucia v1 app, psql, another process
	store *luciapg.Store
	cache *sessioncache.Cache
	notes *appliedChanges
}

// testMaxLag is the MaxLag of the tests' caches. They run beside many
// others, under -race on a few cores, where the reading often comes around
// later than the default 50 ms, and they check what they see at one moment
// (hits, Serving) for other things than the lag bound, which
// TestSessionCacheNeverServesPastMaxLag checks.
const testMaxLag = 5 * time.Second

// newCacheEnv starts a cache, with hooks when given (AfterChange is always
// env.notes.record).
func newCacheEnv(t *testing.T, cfg sessioncache.Config, hooks ...sessioncache.TestHooks) *cacheEnv {
	t.Helper()
	env := &cacheEnv{url: testdb.NewURL(t), notes: newChanges()}
	env.pool = testdb.Pool(t, env.url, 4)
	env.other = testdb.Pool(t, env.url, 4)
	env.store = luciapg.New(env.pool)
	cfg.ConnString = env.url
	if cfg.MaxLag == 0 {
		cfg.MaxLag = testMaxLag
	}
	var h sessioncache.TestHooks
	if len(hooks) > 0 {
		h = hooks[0]
	}
	h.AfterChange = env.notes.record
	cache, err := sessioncache.NewWithHooks(t.Context(), env.store, cfg, h)
	if err != nil {
		t.Fatalf("NewSessionCache: %v", err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	env.cache = cache
	// It serves once the transactions running when it started have ended
	// (the server's, whatever the database: other tests' too).
	eventually(t, "the new cache serving", func() bool { return cache.Stats().Serving })
	return env
}

// exec runs sql as the other writer.
func (env *cacheEnv) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := env.other.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// addSession inserts a user (unless it exists) and a session active for an
// hour, idle for another.
func (env *cacheEnv) addSession(t *testing.T, userID, sessionID string) luciapg.Session {
	t.Helper()
	now := time.Now().UnixMilli()
	session := luciapg.Session{ID: sessionID, UserID: userID, ActiveExpires: now + time.Hour.Milliseconds(), IdleExpires: now + 2*time.Hour.Milliseconds()}
	env.exec(t, `INSERT INTO auth_user (id, nickname) VALUES ($1, 'v0') ON CONFLICT DO NOTHING`, userID)
	env.exec(t, `INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ($1, $2, $3, $4)`,
		session.ID, session.UserID, session.ActiveExpires, session.IdleExpires)
	return session
}

// sessionID makes a 40-character id, as Lucia's.
func sessionID(name string) string { return fmt.Sprintf("%-40s", name)[:40] }

func sessionPayload(id string) string { return "s:" + hexSHA256(id) }
func userPayload(id string) string    { return "u:" + hexSHA256(id) }

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// appliedChanges records the payloads a cache has applied, so a test can
// wait until the cache has seen a change.
type appliedChanges struct {
	mu    sync.Mutex
	seen  map[string]int
	wake  chan struct{}
	holds map[string]chan struct{}
}

func newChanges() *appliedChanges {
	return &appliedChanges{seen: map[string]int{}, wake: make(chan struct{}), holds: map[string]chan struct{}{}}
}

func (n *appliedChanges) record(payload string) {
	n.mu.Lock()
	n.seen[payload]++
	close(n.wake)
	n.wake = make(chan struct{})
	hold := n.holds[payload]
	delete(n.holds, payload)
	n.mu.Unlock()
	if hold != nil {
		<-hold
	}
}

// holdAfter stops the cache's reading once it has applied a change with
// payload, until release (also called when the test ends), so that no
// later change is applied meanwhile.
func (n *appliedChanges) holdAfter(t *testing.T, payload string) (release func()) {
	hold := make(chan struct{})
	n.mu.Lock()
	n.holds[payload] = hold
	n.mu.Unlock()
	release = sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	return release
}

// wait consumes one applied change with payload, failing the test
// if none comes within a generous deadline.
func (n *appliedChanges) wait(t *testing.T, payload string) {
	t.Helper()
	if err := n.waitErr(payload); err != nil {
		t.Fatal(err)
	}
}

// waitErr is wait for goroutines other than the test's.
func (n *appliedChanges) waitErr(payload string) error {
	deadline := time.After(30 * time.Second)
	for {
		n.mu.Lock()
		if n.seen[payload] > 0 {
			n.seen[payload]--
			n.mu.Unlock()
			return nil
		}
		wake := n.wake
		n.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			return fmt.Errorf("the cache applied no change %.10s… within 30 s", payload)
		}
	}
}

// eventually polls cond until it holds, failing the test after a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, still not: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connectAdmin opens a connection to the server's maintenance database,
// closed when the test ends.
func connectAdmin(t *testing.T) *pgx.Conn {
	t.Helper()
	admin, err := pgx.Connect(t.Context(), testdb.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return admin
}

// databaseOf is the database name in url.
func databaseOf(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// terminateLogReader ends the backend the cache reads the change log on,
// found by the application_name it sets.
func terminateLogReader(t *testing.T, admin *pgx.Conn, database string) {
	t.Helper()
	var terminated int
	err := admin.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'luciapg session cache') AS t`, database).Scan(&terminated)
	if err != nil || terminated != 1 {
		t.Fatalf("terminated %d change-log connections (%v); want 1", terminated, err)
	}
}

// syncBuffer is a bytes.Buffer the cache's goroutine and the test may
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
