package luciapg_test

import (
	"context"
	"crypto/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// Helpers shared by the reliability tests (faults, hostile input, races,
// secrets, fuzzing).

// reliabilityTimeout bounds every call these tests make. A call that
// reaches it has hung: nothing they do waits on anything but PostgreSQL.
const reliabilityTimeout = 30 * time.Second

// queryCounter counts the statements a pool sends, to prove that refused
// input never reaches the database.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countedPool opens a pool of maxConns connections on url whose statements
// are counted.
func countedPool(t testing.TB, url string, maxConns int32) (*pgxpool.Pool, *queryCounter) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, counter
}

// callContext is the context of one call under test.
func callContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), reliabilityTimeout)
	t.Cleanup(cancel)
	return ctx
}

// randomText returns n random alphanumerics: incompressible enough that
// PostgreSQL stores (and indexes) them at full size.
func randomText(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func pointerTo[T any](v T) *T { return &v }

// rowCounts is the number of rows in each auth table.
type rowCounts struct{ users, sessions, keys int64 }

func countAuthRows(t testing.TB, db luciapg.DB) rowCounts {
	t.Helper()
	var c rowCounts
	err := db.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM auth_user), (SELECT count(*) FROM auth_session), (SELECT count(*) FROM auth_key)`).
		Scan(&c.users, &c.sessions, &c.keys)
	if err != nil {
		t.Fatalf("counting rows: %v", err)
	}
	return c
}

// wantNoOrphans fails if a session or key names a user that does not
// exist. The foreign keys should make this impossible; the audit checks
// that nothing (a dropped constraint, a bug in a delete) lets one through.
func wantNoOrphans(t testing.TB, db luciapg.DB) {
	t.Helper()
	var sessions, keys int64
	err := db.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM auth_session s WHERE NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.id = s.user_id)),
		(SELECT count(*) FROM auth_key k WHERE NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.id = k.user_id))`).
		Scan(&sessions, &keys)
	if err != nil {
		t.Fatalf("auditing orphans: %v", err)
	}
	if sessions != 0 || keys != 0 {
		t.Errorf("audit: %d sessions and %d keys without their user", sessions, keys)
	}
}

// wantPoolWorks fails unless a fresh user, key and session can be written
// and read back through store.
func wantPoolWorks(t testing.TB, store *luciapg.Store) {
	t.Helper()
	ctx := callContext(t)
	id := "alive_" + randomText(8)
	if _, err := store.SetUser(ctx, luciapg.User{ID: id}, &luciapg.Key{ID: "alive:" + id, PrimaryKey: true}); err != nil {
		t.Fatalf("store no longer works: SetUser: %v", err)
	}
	session := luciapg.Session{ID: "alive_s_" + id, UserID: id, ActiveExpires: 1, IdleExpires: 2}
	if err := store.SetSession(ctx, session); err != nil {
		t.Fatalf("store no longer works: SetSession: %v", err)
	}
	if _, _, err := store.GetSessionAndUser(ctx, session.ID); err != nil {
		t.Fatalf("store no longer works: GetSessionAndUser: %v", err)
	}
	if err := store.DeleteUser(ctx, id); err != nil {
		t.Fatalf("store no longer works: DeleteUser: %v", err)
	}
}

// newReliabilityStore returns a Store on a pool of maxConns connections on
// a fresh template clone, with the pool and its URL.
func newReliabilityStore(t testing.TB, maxConns int32) (*luciapg.Store, *pgxpool.Pool, string) {
	t.Helper()
	url := testdb.NewURL(t)
	pool := testdb.Pool(t, url, maxConns)
	return luciapg.New(pool), pool, url
}
