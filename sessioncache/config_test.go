package sessioncache_test

import (
	"errors"
	"fmt"
	neturl "net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestNewSessionCacheRefusesBadConfig: each mistake is a one-line error,
// a bad configuration one wrapping luciapg.ErrInvalidConfig (never
// clamped), and one naming a connection string never shows its password.
func TestNewSessionCacheRefusesBadConfig(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := t.Context()
	const password = "hunter2-secret"
	var nilStore *luciapg.Store
	for _, tc := range []struct {
		name    string
		next    luciapg.ThrottlingAdapter
		cfg     sessioncache.Config
		want    string
		invalid bool // wraps ErrInvalidConfig
	}{
		{"nil adapter", nil, sessioncache.Config{ConnString: "postgres://x"}, "next adapter is nil", true},
		{"nil *Store", nilStore, sessioncache.Config{ConnString: "postgres://x"}, "next adapter is nil", true},
		{"no connection string", luciapg.New(pool), sessioncache.Config{}, "ConnString is empty", true},
		{"negative size", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://x", MaxEntries: -1}, "must not be negative", true},
		{"negative lag", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://x", MaxLag: -time.Millisecond}, "must not be negative", true},
		{"lag within one poll", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://x", PollInterval: 100 * time.Millisecond, MaxLag: 150 * time.Millisecond}, "MaxLag 150ms must be between twice PollInterval (200ms) and 5s", true},
		{"lag over the gap", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://x", MaxLag: 6 * time.Second}, "MaxLag 6s must be between", true},
		{"poll interval over its limit", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://x", PollInterval: 2 * time.Second}, "PollInterval 2s is over the 1s limit", true},
		{"unparsable", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://u:" + password + "@127.0.0.1:5432/x?sslmode=bogus"}, "sessioncache: not a connection string", false},
		{"unmigrated database", luciapg.New(pool), sessioncache.Config{ConnString: testdb.NewEmptyURL(t)}, "apply luciapg's migrations (Migrate, or luciapg migrate up)", false},
		{"unreachable", luciapg.New(pool), sessioncache.Config{ConnString: "postgres://u:" + password + "@127.0.0.1:1/x?sslmode=disable&connect_timeout=5"}, "sessioncache: server not reachable", false},
	} {
		cache, err := sessioncache.New(ctx, tc.next, tc.cfg)
		if err == nil {
			_ = cache.Close()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, password) || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q; want one line with %q and no password", tc.name, msg, tc.want)
		}
		if errors.Is(err, luciapg.ErrInvalidConfig) != tc.invalid {
			t.Errorf("%s: errors.Is(%v, ErrInvalidConfig) = %v, want %v", tc.name, err, !tc.invalid, tc.invalid)
		}
	}
}

// TestSessionCacheLogsStateWithoutIDs: the logger hears of a lost and a
// regained connection to the change log, and never of a session or user
// id.
func TestSessionCacheLogsStateWithoutIDs(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	env := newCacheEnv(t, sessioncache.Config{Logger: newTextLogger(&logs)})
	ctx := t.Context()
	id := sessionID("logged-session")
	env.addSession(t, "logged-user", id)
	if _, _, err := env.cache.GetSessionAndUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	env.exec(t, `DELETE FROM auth_session WHERE id = $1`, id)
	env.notes.wait(t, sessionPayload(id))
	admin := connectAdmin(t)
	terminateLogReader(t, admin, databaseOf(t, env.url))
	eventually(t, "serving again", func() bool { s := env.cache.Stats(); return s.Serving && s.Reconnects == 1 })
	if err := env.cache.Close(); err != nil {
		t.Fatal(err)
	}
	if env.cache.Stats().Serving {
		t.Fatal("still serving after Close")
	}
	text := logs.String()
	for _, want := range []string{"serving from memory", "cannot read the change log", "reading the change log again", "closed"} {
		if !strings.Contains(text, want) {
			t.Errorf("the log has no %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{strings.TrimSpace(id), "logged-user", hexSHA256(id)} {
		if strings.Contains(text, secret) {
			t.Errorf("the log names %q:\n%s", secret, text)
		}
	}
}

// TestSessionCacheConnStringForms: the change log is read whatever form of
// connection string the application already has: a URL, the same URL
// without sslmode (pgx then tries TLS and falls back), and keyword/value
// pairs. Each cache sees another writer's delete.
func TestSessionCacheConnStringForms(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	parsed, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	noSSLMode := testdb.WithQuery(u, "sslmode", "")
	keywords := fmt.Sprintf("host=%s port=%d user=%s dbname=%s application_name='cache conn string test'",
		parsed.Host, parsed.Port, parsed.User, parsed.Database)
	if parsed.Password != "" {
		keywords += " password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(parsed.Password) + "'"
	}
	pool := testdb.Pool(t, url, 2)
	ctx := t.Context()
	for i, connString := range []string{url, noSSLMode, keywords} {
		cache, err := sessioncache.New(ctx, luciapg.New(pool), sessioncache.Config{ConnString: connString, MaxLag: testMaxLag})
		if err != nil {
			t.Fatalf("form %d: %v", i, err)
		}
		id := sessionID("form-" + strconv.Itoa(i))
		now := time.Now().UnixMilli()
		for _, q := range []string{
			`INSERT INTO auth_user (id) VALUES ('form-user') ON CONFLICT DO NOTHING`,
			fmt.Sprintf(`INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ('%s', 'form-user', %d, %d)`, id, now+3_600_000, now+7_200_000),
		} {
			if _, err := pool.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "the cache serving", func() bool { return cache.Stats().Serving })
		for range 2 { // a miss, then a hit
			if _, err := cache.GetSession(ctx, id); err != nil {
				t.Fatalf("form %d: %v", i, err)
			}
		}
		if s := cache.Stats(); s.Hits != 1 {
			t.Fatalf("form %d: stats %+v; want the second read served from memory", i, s)
		}
		if _, err := pool.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the delete reaching the cache", func() bool {
			_, err := cache.GetSession(ctx, id)
			return errors.Is(err, luciapg.ErrInvalidSessionID)
		})
		_ = cache.Close()
	}
}
