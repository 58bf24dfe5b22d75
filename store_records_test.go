package luciapg_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The records a write's context carries: an audit event commits exactly
// with its write, a session origin becomes the session's metadata, and a
// context carrying neither costs nothing.

// statementRecorder keeps the text of every statement a pool sends.
type statementRecorder struct {
	mu  sync.Mutex
	sql []string
}

func (r *statementRecorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	r.sql = append(r.sql, data.SQL)
	r.mu.Unlock()
	return ctx
}

func (r *statementRecorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements sent since the last take.
func (r *statementRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	sql := r.sql
	r.sql = nil
	return sql
}

// recordedPool opens a pool on a fresh database whose statements r records.
func recordedPool(t *testing.T) (*pgxpool.Pool, *statementRecorder) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &statementRecorder{}
	cfg.ConnConfig.Tracer = r
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, r
}

func aliveSession(id, userID string) luciapg.Session {
	now := time.Now()
	return luciapg.Session{ID: id, UserID: userID, ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}
}

func loginEvent(userID string) luciapg.AuditEvent {
	return luciapg.AuditEvent{At: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC), Kind: luciapg.AuditLogin, UserID: userID,
		SessionLabel: "a1b2c3", ClientAddress: "192.0.2.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
}

func auditCount(t *testing.T, db luciapg.DB) int {
	return countRows(t, db, "SELECT count(*) FROM luciapg_audit_event")
}

// A write without records sends exactly the statements it sent before
// they existed (no BEGIN, no extra INSERT), and GetSessionAndUser's
// statement, the one the bench measures, is still the only one it sends.
func TestWritesWithoutRecordsCostNothingMore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, recorder := recordedPool(t)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	recorder.take()
	cases := []struct {
		name  string
		write func() error
		want  []string
	}{
		{"SetSession", func() error { return store.SetSession(ctx, aliveSession("s1", "u1")) }, []string{dbgen.InsertSession}},
		{"SetKey", func() error { return store.SetKey(ctx, luciapg.Key{ID: "email:u1", UserID: "u1"}) }, []string{dbgen.InsertKey}},
		{"DeleteSession", func() error { return store.DeleteSession(ctx, "s1") }, []string{dbgen.DeleteSession}},
		{"DeleteUserSession", func() error {
			err := store.DeleteUserSession(ctx, "u1", "s1")
			if errors.Is(err, luciapg.ErrInvalidSessionID) {
				return nil
			}
			return err
		}, []string{dbgen.DeleteUserSession}},
		{"SetEmailChange", func() error {
			return store.SetEmailChange(ctx, luciapg.EmailChange{UserID: "u1", NewEmail: "new@example.com", TokenID: "t1", Expires: time.Now().Add(time.Hour)})
		}, []string{dbgen.SetEmailChange}},
	}
	for _, c := range cases {
		if err := c.write(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := recorder.take(); !equalStrings(got, c.want) {
			t.Errorf("%s sent %q, want %q", c.name, got, c.want)
		}
	}
	if auditCount(t, pool) != 0 || countRows(t, pool, "SELECT count(*) FROM luciapg_session") != 0 {
		t.Fatal("a write without records wrote an event or metadata")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// An event is in the log exactly when the write it records committed:
// not after a write that failed, not after a caller's transaction rolled
// back, once after one that committed.
func TestAuditEventCommitsWithItsWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1", PrimaryKey: true}); err != nil {
		t.Fatal(err)
	}
	linked := luciapg.WithAuditEvent(ctx, luciapg.AuditEvent{At: time.Now(), Kind: luciapg.AuditKeyLinked, UserID: "u1", Detail: "github"})

	// A failing write: the key id is taken.
	if err := store.SetKey(linked, luciapg.Key{ID: "email:u1", UserID: "u1"}); !errors.Is(err, luciapg.ErrDuplicateKeyID) {
		t.Fatalf("SetKey of a taken id: %v, want ErrDuplicateKeyID", err)
	}
	// A refused one: no such user.
	if err := store.SetKey(linked, luciapg.Key{ID: "github:1", UserID: "nobody"}); !errors.Is(err, luciapg.ErrInvalidUserID) {
		t.Fatalf("SetKey for no user: %v, want ErrInvalidUserID", err)
	}
	// One that reports "not found" after running.
	if err := store.DeleteUserSession(linked, "u1", "no-such-session"); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("DeleteUserSession of no session: %v", err)
	}
	if n := auditCount(t, pool); n != 0 {
		t.Fatalf("%d events after failed writes, want 0", n)
	}

	// A write that commits, in a caller's transaction that rolls back.
	inCallerTx(t, pool, false, func(store *luciapg.Store, tx pgx.Tx) {
		if err := store.SetKey(linked, luciapg.Key{ID: "github:1", UserID: "u1"}); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, tx); n != 1 {
			t.Fatalf("%d events inside the transaction, want 1", n)
		}
	})
	if n := auditCount(t, pool); n != 0 || keyCount(t, pool, "github:1") != 0 {
		t.Fatalf("%d events after the caller's rollback, want 0", n)
	}

	// In a caller's transaction that commits, and on the pool.
	inCallerTx(t, pool, true, func(store *luciapg.Store, _ pgx.Tx) {
		if err := store.SetKey(linked, luciapg.Key{ID: "github:1", UserID: "u1"}); err != nil {
			t.Fatal(err)
		}
	})
	if err := store.SetKey(linked, luciapg.Key{ID: "github:2", UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	events, err := store.ListAuditEvents(ctx, luciapg.AuditQuery{UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Kind != luciapg.AuditKeyLinked || events[0].Detail != "github" || events[0].ID <= events[1].ID {
		t.Fatalf("events = %+v, want two key_linked, newest first", events)
	}
}

// An event the log cannot hold refuses the write before anything is sent:
// the change it would record does not happen either. A huge user agent is
// not refused but cut, at a character boundary.
func TestAuditEventRefusedBeforeTheWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, counter := countedPool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	good := loginEvent("u1")
	bad := map[string]func(e *luciapg.AuditEvent){
		"empty kind":     func(e *luciapg.AuditEvent) { e.Kind = "" },
		"long kind":      func(e *luciapg.AuditEvent) { e.Kind = strings.Repeat("k", 65) },
		"zero time":      func(e *luciapg.AuditEvent) { e.At = time.Time{} },
		"NUL in detail":  func(e *luciapg.AuditEvent) { e.Detail = "totp\x00" },
		"invalid UTF-8":  func(e *luciapg.AuditEvent) { e.Detail = "\xff\xfe" },
		"long detail":    func(e *luciapg.AuditEvent) { e.Detail = strings.Repeat("d", luciapg.MaxAuditDetailBytes+1) },
		"NUL in address": func(e *luciapg.AuditEvent) { e.ClientAddress = "192.0.2.1\x00" },
		"long user id":   func(e *luciapg.AuditEvent) { e.UserID = strings.Repeat("u", luciapg.MaxIDBytes+1) },
		"long address":   func(e *luciapg.AuditEvent) { e.ClientAddress = strings.Repeat("a", 257) },
		"NUL in session label": func(e *luciapg.AuditEvent) {
			e.SessionLabel = "\x00"
		},
	}
	for name, spoil := range bad {
		event := good
		spoil(&event)
		before := counter.n.Load()
		err := store.SetSession(luciapg.WithAuditEvent(ctx, event), aliveSession("s-"+name, "u1"))
		if !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("%s: SetSession: %v, want ErrInvalidInput", name, err)
		}
		if err := store.RecordAuditEvent(ctx, event); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("%s: RecordAuditEvent: %v, want ErrInvalidInput", name, err)
		}
		if sent := counter.n.Load() - before; sent != 0 {
			t.Errorf("%s: %d statements sent for a refused event", name, sent)
		}
		if err != nil && (strings.Contains(err.Error(), "totp") || strings.Contains(err.Error(), "192.0.2.1")) {
			t.Errorf("%s: the error %q repeats the value", name, err)
		}
	}
	if n := countRows(t, pool, "SELECT count(*) FROM auth_session"); n != 0 {
		t.Fatalf("%d sessions written with refused events", n)
	}

	// A sign-in at every bound, in incompressible text, fits the log and
	// its index of sign-ins.
	widest := luciapg.AuditEvent{At: time.Now(), Kind: luciapg.AuditLogin, UserID: randomText(luciapg.MaxIDBytes),
		SessionLabel: randomText(luciapg.MaxIDBytes), ClientAddress: randomText(256), UserAgent: randomText(luciapg.MaxUserAgentBytes),
		Detail: randomText(luciapg.MaxAuditDetailBytes)}
	if err := store.RecordAuditEvent(ctx, widest); err != nil {
		t.Fatalf("an event at every bound: %v", err)
	}
	if known, err := store.HasSignedInFrom(ctx, widest.UserID, widest.ClientAddress, widest.UserAgent); err != nil || !known {
		t.Fatalf("HasSignedInFrom of the widest sign-in = %v, %v", known, err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM luciapg_audit_event"); err != nil {
		t.Fatal(err)
	}

	// 10,000 three-byte characters: cut to MaxUserAgentBytes, still text.
	huge := good
	huge.UserAgent = strings.Repeat("€", 10000)
	if err := store.SetSession(luciapg.WithAuditEvent(ctx, huge), aliveSession("s-huge", "u1")); err != nil {
		t.Fatal(err)
	}
	var ua string
	if err := pool.QueryRow(ctx, "SELECT user_agent FROM luciapg_audit_event").Scan(&ua); err != nil {
		t.Fatal(err)
	}
	if len(ua) > luciapg.MaxUserAgentBytes || len(ua) < luciapg.MaxUserAgentBytes-3 || !utf8.ValidString(ua) || !strings.HasPrefix(huge.UserAgent, ua) {
		t.Fatalf("stored user agent of %d bytes (valid UTF-8: %v), want the first %d bytes' whole characters", len(ua), utf8.ValidString(ua), luciapg.MaxUserAgentBytes)
	}
}

// luciapg's bounds and the rules' (internal/input) are the same numbers.
func TestUserAgentAndDetailBoundsAgree(t *testing.T) {
	if luciapg.MaxUserAgentBytes != input.MaxUserAgentBytes || luciapg.MaxAuditDetailBytes != input.MaxAuditDetailBytes {
		t.Fatal("luciapg's MaxUserAgentBytes or MaxAuditDetailBytes differs from internal/input's")
	}
	for in, want := range map[string]string{
		"Mozilla/5.0":                           "Mozilla/5.0",
		"Latin-1 \xe9t\xe9":                     "Latin-1 \uFFFDt\uFFFD",
		"NUL\x00dropped":                        "NULdropped",
		strings.Repeat("a", 511) + "é":          strings.Repeat("a", 511),
		strings.Repeat("a", 510) + "é" + "tail": strings.Repeat("a", 510) + "é",
	} {
		if got := input.UserAgent(in); got != want {
			t.Errorf("UserAgent(%.20q…) = %.20q… (%d bytes), want %d bytes", in, got, len(got), len(want))
		}
	}
}
