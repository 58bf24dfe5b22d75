package luciapg_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// waitDeadline bounds every wait for the janitor in these tests; none of
// them takes anywhere near it unless something is broken.
const waitDeadline = 30 * time.Second

// recordingHandler keeps every record logged through it and signals each
// new one, so tests wait for log records instead of sleeping.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
	added   chan struct{}
}

func newRecordingHandler() *recordingHandler {
	return &recordingHandler{added: make(chan struct{}, 1)}
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	select {
	case h.added <- struct{}{}:
	default:
	}
	return nil
}

// waitFor returns the first record from index from on that match accepts,
// and the index after it, failing the test at the deadline.
func (h *recordingHandler) waitFor(t *testing.T, from int, match func(slog.Record) bool) (slog.Record, int) {
	t.Helper()
	deadline := time.After(waitDeadline)
	for {
		h.mu.Lock()
		for i := from; i < len(h.records); i++ {
			if match(h.records[i]) {
				r := h.records[i]
				h.mu.Unlock()
				return r, i + 1
			}
		}
		h.mu.Unlock()
		select {
		case <-h.added:
		case <-deadline:
			t.Fatalf("no matching log record within %v", waitDeadline)
		}
	}
}

func (h *recordingHandler) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.records...)
}

func attr(r slog.Record, key string) slog.Value {
	var v slog.Value
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// purgedAtLeast matches a successful purge that deleted at least n sessions.
func purgedAtLeast(n int64) func(slog.Record) bool {
	return func(r slog.Record) bool {
		return r.Message == "luciapg: purged dead sessions" && attr(r, "deleted").Int64() >= n
	}
}

func fixedNow() time.Time { return deadSessionsNow }

// runJanitor returns the function that closes janitor (started by
// NewJanitor) and waits for it to stop, which the test's cleanup also
// calls. It fails the test if Close does not return in time.
func runJanitor(t *testing.T, janitor *luciapg.Janitor) (stop func()) {
	t.Helper()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			done := make(chan error, 1)
			go func() { done <- janitor.Close() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Close: %v", err)
				}
			case <-time.After(waitDeadline):
				t.Errorf("Close did not return within %v", waitDeadline)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestJanitorPurgesDeadSessions(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "dead_owner", "dead", 1, 2, 3, 4, 5)
	seedSessions(t, pool, "alive_owner", "alive", deadSessionsMillis, deadSessionsMillis+1)
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(luciapg.New(pool), luciapg.JanitorConfig{
		Interval:  time.Hour, // only the purge at start runs
		BatchSize: 2,
		Logger:    slog.New(logs),
		Now:       fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	runJanitor(t, janitor)

	r, _ := logs.waitFor(t, 0, purgedAtLeast(0))
	if got := attr(r, "deleted").Int64(); got != 5 {
		t.Errorf("logged deleted=%d, want 5", got)
	}
	if got := attr(r, "batches").Int64(); got != 3 {
		t.Errorf("logged batches=%d, want 3 (2+2+1)", got)
	}
	if r.Level != slog.LevelInfo {
		t.Errorf("level %v, want INFO", r.Level)
	}
	if got := len(sessionIDs(t, pool)); got != 2 {
		t.Errorf("%d sessions left, want the 2 alive ones", got)
	}
}

func TestJanitorPurgesEveryInterval(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(luciapg.New(pool), luciapg.JanitorConfig{
		Interval: 5 * time.Millisecond,
		Logger:   slog.New(logs),
		Now:      fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	runJanitor(t, janitor)

	// Sessions that die after the janitor started are purged by a later run.
	next := 0
	for _, prefix := range []string{"first", "second"} {
		seedSessions(t, pool, "owner", prefix, 1, 2)
		_, next = logs.waitFor(t, next, purgedAtLeast(1))
		if ids := sessionIDs(t, pool); len(ids) != 0 {
			t.Fatalf("sessions left after a purge: %v", ids)
		}
	}
	// The runs that found nothing logged at Debug.
	quiet, _ := logs.waitFor(t, next, purgedAtLeast(0))
	if quiet.Level != slog.LevelDebug || attr(quiet, "deleted").Int64() != 0 {
		t.Errorf("an empty purge logged %v deleted=%v, want DEBUG deleted=0", quiet.Level, attr(quiet, "deleted"))
	}
}

// A batch that cannot finish in time fails that purge with a warning; the
// next run purges once the obstacle is gone.
func TestJanitorBatchTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3)
	blocker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx) //nolint:errcheck
	if _, err := blocker.Exec(ctx, "LOCK TABLE auth_session IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(luciapg.New(pool), luciapg.JanitorConfig{
		Interval: 5 * time.Millisecond,
		// Long enough for a batch on a loaded machine once the lock is
		// gone (with 20 ms, batches that the server completed after the
		// client gave up were logged as failures, and the test saw no
		// purge), short against the lock, which is held until released.
		BatchTimeout: 500 * time.Millisecond,
		Logger:       slog.New(logs),
		Now:          fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	runJanitor(t, janitor)

	failed, _ := logs.waitFor(t, 0, func(r slog.Record) bool { return r.Message == "luciapg: purge of dead sessions failed" })
	if failed.Level != slog.LevelWarn {
		t.Errorf("level %v, want WARN", failed.Level)
	}
	if err, _ := attr(failed, "error").Any().(error); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("logged error %v, want a deadline exceeded", err)
	}
	if err := blocker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// A batch that timed out can still run on the server: pgx gives up on
	// the connection, but its backend waits out the lock and may delete the
	// rows itself. So first wait until those sessions are gone, whoever
	// deleted them. Sessions added after that are invisible to such a
	// leftover statement's snapshot: only the janitor can purge them.
	waitForNoSessions(t, pool)
	next := len(logs.all())
	seedSessions(t, pool, "owner", "later", 1, 2, 3)
	waitForNoSessions(t, pool)
	logs.waitFor(t, next, purgedAtLeast(1))
}

// waitForNoSessions polls, with a deadline, until auth_session is empty.
func waitForNoSessions(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(sessionIDs(t, pool)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sessions still there after 30s: %v", sessionIDs(t, pool))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close stops a janitor and can be called again; a new janitor on the same
// Store then purges what died since: a janitor holds no state between
// purges.
func TestJanitorClosedThenAnotherStarted(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	logs := newRecordingHandler()
	cfg := luciapg.JanitorConfig{Interval: time.Hour, Logger: slog.New(logs), Now: fixedNow}
	janitor, err := luciapg.NewJanitor(luciapg.New(pool), cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runJanitor(t, janitor)
	_, next := logs.waitFor(t, 0, purgedAtLeast(0))
	stop()
	if err := janitor.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}

	seedSessions(t, pool, "owner", "dead", 1)
	again, err := luciapg.NewJanitor(luciapg.New(pool), cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop = runJanitor(t, again)
	logs.waitFor(t, next, purgedAtLeast(1))
	stop()
	if ids := sessionIDs(t, pool); len(ids) != 0 {
		t.Errorf("sessions left: %v", ids)
	}
	for _, r := range logs.all() {
		if r.Level >= slog.LevelWarn {
			t.Errorf("unexpected %v record: %s", r.Level, r.Message)
		}
	}
}

// Two janitors purge side by side; between them every dead session goes,
// and neither fails.
func TestJanitorsSideBySide(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	logs := newRecordingHandler()
	for range 2 {
		janitor, err := luciapg.NewJanitor(luciapg.New(pool), luciapg.JanitorConfig{Interval: time.Hour, BatchSize: 1, Logger: slog.New(logs), Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		runJanitor(t, janitor)
	}
	first, next := logs.waitFor(t, 0, purgedAtLeast(0))
	second, _ := logs.waitFor(t, next, purgedAtLeast(0))
	if total := attr(first, "deleted").Int64() + attr(second, "deleted").Int64(); total != 10 {
		t.Errorf("the two janitors deleted %d sessions in all, want 10", total)
	}
	if ids := sessionIDs(t, pool); len(ids) != 0 {
		t.Errorf("sessions left: %v", ids)
	}
}

func TestNewJanitorRefusesBadConfig(t *testing.T) {
	t.Parallel()
	store := luciapg.New(testdb.New(t))
	for name, cfg := range map[string]luciapg.JanitorConfig{
		"negative interval":          {Interval: -time.Second},
		"negative batch timeout":     {BatchTimeout: -time.Second},
		"negative attempt retention": {AttemptRetention: -time.Hour},
		"negative batch size":        {BatchSize: -1},
		"batch size over int32":      {BatchSize: 1 << 31},
	} {
		if j, err := luciapg.NewJanitor(store, cfg); !errors.Is(err, luciapg.ErrInvalidConfig) || j != nil {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
		}
	}
	if _, err := luciapg.NewJanitor(nil, luciapg.JanitorConfig{}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("NewJanitor(nil): %v, want ErrInvalidConfig", err)
	}
}

// Without a Logger the janitor logs nothing, not even to the global logger.
// Not parallel: it swaps slog's default for its duration.
func TestJanitorWithoutLoggerLogsNothing(t *testing.T) {
	global := newRecordingHandler()
	previous := slog.Default()
	slog.SetDefault(slog.New(global))
	defer slog.SetDefault(previous)

	pool := testdb.New(t)
	seedSessions(t, pool, "owner", "dead", 1, 2)
	janitor, err := luciapg.NewJanitor(luciapg.New(pool), luciapg.JanitorConfig{Interval: time.Hour, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	stop := runJanitor(t, janitor)
	deadline := time.Now().Add(waitDeadline)
	for len(sessionIDs(t, pool)) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("dead sessions were not purged")
		}
		time.Sleep(5 * time.Millisecond) // polling the table, which signals nothing
	}
	stop()
	if records := global.all(); len(records) != 0 {
		t.Errorf("the global logger got %d records, first %q", len(records), records[0].Message)
	}
}

// TestJanitorPurgesStaleAttempts: each purge also deletes the attempt
// throttle rows whose last attempt and block ended more than
// AttemptRetention ago, and keeps the others.
func TestJanitorPurgesStaleAttempts(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	ctx := context.Background()
	now := fixedNow()
	policy := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Minute, MaxDelay: time.Minute, Window: time.Hour}
	for key, at := range map[string]time.Time{
		"key:stale-1": now.Add(-3 * time.Hour),
		"key:stale-2": now.Add(-2 * time.Hour),
		"key:recent":  now.Add(-30 * time.Minute),
	} {
		if _, err := store.CountAttempt(ctx, key, at, policy); err != nil {
			t.Fatalf("CountAttempt: %v", err)
		}
	}
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(store, luciapg.JanitorConfig{
		Interval:         time.Hour, // only the purge at start runs
		AttemptRetention: time.Hour,
		Logger:           slog.New(logs),
		Now:              fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	runJanitor(t, janitor)

	r, _ := logs.waitFor(t, 0, func(r slog.Record) bool {
		return r.Message == "luciapg: purged stale attempt throttle rows"
	})
	if got := attr(r, "deleted").Int64(); got != 2 {
		t.Errorf("logged deleted=%d, want 2", got)
	}
	var left []string
	rows, err := pool.Query(ctx, "SELECT throttle_key FROM luciapg_attempt_throttle ORDER BY throttle_key")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			t.Fatal(err)
		}
		left = append(left, key)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "key:recent" {
		t.Errorf("rows left %q, want only key:recent", left)
	}
}

// TestJanitorPurgesExpiredCeremonies: each purge also deletes the WebAuthn
// ceremonies and pending logins that expired before its now, and logs how
// many, as one batch.
func TestJanitorPurgesExpiredCeremonies(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	ctx := context.Background()
	now := fixedNow()
	if _, err := store.SetUser(ctx, luciapg.User{ID: "ceremony_owner"}, nil); err != nil {
		t.Fatal(err)
	}
	for id, expires := range map[string]time.Time{
		"expired-1": now.Add(-time.Hour),
		"expired-2": now.Add(-time.Millisecond),
		"live":      now.Add(time.Minute),
	} {
		ch := luciapg.Challenge{ID: id, UserID: "ceremony_owner", Purpose: "register", Data: []byte("state"), Expires: expires}
		if err := store.SetChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	pending := luciapg.PendingLogin{ID: "expired-login", UserID: "ceremony_owner", ClientBinding: "cb",
		Factors: []string{luciapg.FactorOAuth}, Expires: now.Add(-time.Second)}
	if err := store.SetPendingLogin(ctx, pending); err != nil {
		t.Fatal(err)
	}
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(store, luciapg.JanitorConfig{
		Interval: time.Hour, // only the purge at start runs
		Logger:   slog.New(logs),
		Now:      fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	runJanitor(t, janitor)

	r, _ := logs.waitFor(t, 0, func(r slog.Record) bool {
		return r.Message == "luciapg: purged expired WebAuthn ceremonies and pending logins"
	})
	if got := attr(r, "deleted").Int64(); got != 3 {
		t.Errorf("logged deleted=%d, want 3", got)
	}
	if got := attr(r, "batches").Int64(); got != 1 {
		t.Errorf("logged batches=%d, want 1", got)
	}
	if r.Level != slog.LevelInfo {
		t.Errorf("level %v, want INFO", r.Level)
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_webauthn_challenge WHERE id = 'live'"); got != 1 {
		t.Error("the live ceremony was purged")
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_webauthn_challenge") + countRows(t, pool, "SELECT count(*) FROM luciapg_pending_login"); got != 1 {
		t.Errorf("%d ceremonies and pending logins left, want only the live ceremony", got)
	}
}
