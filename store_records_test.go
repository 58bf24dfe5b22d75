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

// Every write method of the adapters records the event its context
// carries once; reads, ExtendSession, RecordSessionsSeen, the throttle and
// the purges record nothing.
func TestEveryWriteRecordsItsEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Now()
	ev := luciapg.WithAuditEvent(ctx, loginEvent("u1"))
	policy := luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
	credential := []byte("credential-1")
	steps := []struct {
		name   string
		call   func() error
		writes bool
	}{
		{"SetUser", func() error {
			_, err := store.SetUser(ev, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1", PrimaryKey: true, HashedPassword: ptr("HASH")})
			return err
		}, true},
		{"GetUser", func() error { _, err := store.GetUser(ev, "u1"); return err }, false},
		{"UpdateUserAttributes", func() error {
			_, err := store.UpdateUserAttributes(ev, "u1", map[string]any{"username": "bob"})
			return err
		}, true},
		{"SetKey", func() error { return store.SetKey(ev, luciapg.Key{ID: "github:1", UserID: "u1"}) }, true},
		{"UpdateKeyPassword", func() error { _, err := store.UpdateKeyPassword(ev, "email:u1", ptr("HASH")); return err }, true},
		{"SetSessionForKey", func() error { return store.SetSessionForKey(ev, aliveSession("s0", "u1"), "email:u1", "HASH", nil) }, true},
		{"SetSession", func() error { return store.SetSession(ev, aliveSession("s1", "u1")) }, true},
		{"ExtendSession", func() error { _, err := store.ExtendSession(ev, "s1", 1, 2); return err }, false},
		{"GetSessionAndUser", func() error { _, _, err := store.GetSessionAndUser(ev, "s1"); return err }, false},
		{"RecordSessionsSeen", func() error { return store.RecordSessionsSeen(ev, []luciapg.SessionSeen{{SessionID: "s1", At: now}}) }, false},
		{"GetUserSessionsMetadata", func() error { _, err := store.GetUserSessionsMetadata(ev, "u1"); return err }, false},
		{"SetSessionFactors", func() error {
			return store.SetSessionFactors(ev, luciapg.SessionFactors{SessionID: "s1", UserID: "u1", Factors: []string{"password"}, AuthenticatedAt: now})
		}, true},
		{"CountAttempt", func() error { _, err := store.CountAttempt(ev, "addr:192.0.2.1", now, policy); return err }, false},
		{"ResetAttempts", func() error { return store.ResetAttempts(ev, "addr:192.0.2.1") }, false},
		{"SetTOTP", func() error {
			return store.SetTOTP(ev, luciapg.TOTP{UserID: "u1", EncryptionKeyID: "k1", EncryptedSecret: []byte("sealed")})
		}, true},
		{"ConfirmTOTP", func() error { return store.ConfirmTOTP(ev, "u1", 10) }, true},
		{"UseTOTPStep", func() error { return store.UseTOTPStep(ev, "u1", 11) }, true},
		{"SetRecoveryCodes", func() error { return store.SetRecoveryCodes(ev, "u1", []string{"h1", "h2"}) }, true},
		{"UseRecoveryCode", func() error { return store.UseRecoveryCode(ev, "u1", "h1") }, true},
		{"PasskeyUserHandle", func() error { _, err := store.PasskeyUserHandle(ev, "u1", []byte("handle")); return err }, true},
		{"SetPasskey", func() error {
			return store.SetPasskey(ev, luciapg.Passkey{CredentialID: credential, UserID: "u1", Name: "laptop", PublicKey: []byte("pk"), AttestationType: "none"})
		}, true},
		{"RenamePasskey", func() error { return store.RenamePasskey(ev, "u1", credential, "work laptop") }, true},
		{"UpdatePasskeyUse", func() error { return store.UpdatePasskeyUse(ev, credential, 0, 1, false, now) }, true},
		{"DeletePasskey", func() error { return store.DeletePasskey(ev, "u1", credential) }, true},
		{"SetChallenge", func() error {
			return store.SetChallenge(ev, luciapg.Challenge{ID: "c1", UserID: "u1", Purpose: "register", Data: []byte("d"), Expires: now.Add(time.Minute)})
		}, true},
		{"ConsumeChallenge", func() error { _, err := store.ConsumeChallenge(ev, "c1", now); return err }, true},
		{"SetPendingLogin", func() error {
			return store.SetPendingLogin(ev, luciapg.PendingLogin{ID: "p1", UserID: "u1", ClientBinding: "cb", Factors: []string{"password"}, Expires: now.Add(time.Minute)})
		}, true},
		{"CompletePendingLogin", func() error {
			return store.CompletePendingLogin(ev, "p1", now, aliveSession("s2", "u1"),
				luciapg.SessionFactors{SessionID: "s2", UserID: "u1", Factors: []string{"password", "totp"}, AuthenticatedAt: now})
		}, true},
		{"DeleteTOTP", func() error { return store.DeleteTOTP(ev, "u1") }, true},
		{"DeleteSecondFactors", func() error { return store.DeleteSecondFactors(ev, "u1") }, true},
		{"PurgeExpiredCeremonies", func() error { _, err := store.PurgeExpiredCeremonies(ev, now); return err }, false},
		{"SetEmailChange", func() error {
			return store.SetEmailChange(ev, luciapg.EmailChange{UserID: "u1", NewEmail: "new@example.com", TokenID: "t1", Expires: now.Add(time.Hour)})
		}, true},
		{"GetEmailChange", func() error { _, err := store.GetEmailChange(ev, "u1", now); return err }, false},
		{"ConsumeEmailChange", func() error { _, err := store.ConsumeEmailChange(ev, "u1", "t1", now); return err }, true},
		{"DeleteEmailChange", func() error { return store.DeleteEmailChange(ev, "u1") }, true},
		{"PurgeExpiredEmailChanges", func() error { _, err := store.PurgeExpiredEmailChanges(ev, now); return err }, false},
		{"RecordAuditEvent", func() error { return store.RecordAuditEvent(ev, loginEvent("u2")) }, true},
		{"PurgeAuditEvents", func() error { _, err := store.PurgeAuditEvents(ev, now.Add(-time.Hour), 10); return err }, false},
		{"DeleteUserSession", func() error { return store.DeleteUserSession(ev, "u1", "s0") }, true},
		{"DeleteOtherUserSessions", func() error { _, err := store.DeleteOtherUserSessions(ev, "u1", "s1"); return err }, true},
		{"DeleteSession", func() error { return store.DeleteSession(ev, "s1") }, true},
		{"DeleteSessionsByUserID", func() error { return store.DeleteSessionsByUserID(ev, "u1") }, true},
		{"DeleteNonPrimaryKey", func() error { return store.DeleteNonPrimaryKey(ev, "github:1") }, true},
		{"ConsumeKey", func() error {
			if err := store.SetKey(ctx, luciapg.Key{ID: "once:1", UserID: "u1", Expires: ptr(now.Add(time.Hour).UnixMilli())}); err != nil {
				return err
			}
			_, err := store.ConsumeKey(ev, "once:1")
			return err
		}, true},
		{"DeleteKeysByUserID", func() error { return store.DeleteKeysByUserID(ev, "u1") }, true},
		{"DeleteUser", func() error { return store.DeleteUser(ev, "u1") }, true},
	}
	want := 0
	for _, step := range steps {
		if err := step.call(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if step.writes {
			want++
		}
		if got := auditCount(t, pool); got != want {
			t.Fatalf("after %s: %d events, want %d", step.name, got, want)
		}
	}
	// The log outlives the user it names.
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event WHERE user_id = 'u1'"); n != want-1 {
		t.Fatalf("%d of u1's events left after its deletion, want %d", n, want-1)
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

// A session inserted with an origin gets its metadata row in the same
// write, whichever of the three inserts makes it; CompletePendingLogin
// writes the factors and the metadata in one row; SetSessionFactors keeps
// the metadata; a row holding metadata only is no factor record.
func TestSessionOriginWritesMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	at := time.Date(2026, 12, 8, 9, 30, 0, 0, time.UTC)
	origin := luciapg.SessionOrigin{At: at, ClientAddress: "2001:db8:1:2::/64", UserAgent: "Mozilla/5.0 (Macintosh) Safari/605.1.15"}
	withOrigin := luciapg.WithSessionOrigin(ctx, origin)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1", PrimaryKey: true, HashedPassword: ptr("HASH")}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(withOrigin, aliveSession("plain", "u1")); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSessionForKey(withOrigin, aliveSession("password", "u1"), "email:u1", "HASH", ptr("REHASH")); err != nil {
		t.Fatal(err)
	}
	pending := luciapg.PendingLogin{ID: "p1", UserID: "u1", ClientBinding: "cb", Factors: []string{"password"},
		KeyID: "email:u1", KeyHashDigest: luciapg.KeyHashDigest("REHASH"), Expires: time.Now().Add(time.Minute)}
	if err := store.SetPendingLogin(ctx, pending); err != nil {
		t.Fatal(err)
	}
	factors := luciapg.SessionFactors{SessionID: "second", UserID: "u1", Factors: []string{"password", "totp"}, AuthenticatedAt: at}
	if err := store.CompletePendingLogin(withOrigin, "p1", time.Now(), aliveSession("second", "u1"), factors); err != nil {
		t.Fatal(err)
	}
	// A Lucia v1 app's session: no origin, no metadata.
	if err := store.SetSession(ctx, aliveSession("lucia", "u1")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"plain", "password", "second"} {
		if n := countRows(t, pool, `SELECT count(*) FROM luciapg_session WHERE session_id = $1 AND user_id = 'u1'
			AND created_at = $2 AND client_address = $3 AND user_agent = $4 AND last_seen_at IS NULL`,
			id, at, origin.ClientAddress, origin.UserAgent); n != 1 {
			t.Errorf("session %s has no metadata row holding its origin", id)
		}
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'second' AND factors = ARRAY['password', 'totp'] AND authenticated_at = $1", at); n != 1 {
		t.Error("CompletePendingLogin's row lacks the factors")
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id IN ('plain', 'password') AND factors IS NULL AND authenticated_at IS NULL"); n != 2 {
		t.Error("a session made without factors got a factor record")
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'lucia'"); n != 0 {
		t.Error("a session inserted without an origin got a metadata row")
	}

	// Metadata only reads as no factor record.
	record, _, err := store.GetSessionFactors(ctx, "plain")
	if err != nil || record.Factors != nil || !record.AuthenticatedAt.IsZero() || record.UserID != "u1" {
		t.Fatalf("GetSessionFactors of a session with metadata only = %+v, %v; want no record", record, err)
	}
	// Recording factors later keeps the metadata.
	later := at.Add(time.Hour)
	if err := store.SetSessionFactors(ctx, luciapg.SessionFactors{SessionID: "plain", UserID: "u1", Factors: []string{"passkey"}, AuthenticatedAt: later}); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'plain' AND created_at = $1 AND user_agent = $2 AND factors = ARRAY['passkey']", at, origin.UserAgent); n != 1 {
		t.Error("SetSessionFactors lost the session's metadata")
	}

	// An origin the metadata cannot hold refuses the insert; a huge user
	// agent is cut instead.
	for name, bad := range map[string]luciapg.SessionOrigin{
		"zero time":      {ClientAddress: "192.0.2.1"},
		"NUL in address": {At: at, ClientAddress: "192.0.2.1\x00"},
	} {
		if err := store.SetSession(luciapg.WithSessionOrigin(ctx, bad), aliveSession("bad", "u1")); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("%s: SetSession: %v, want ErrInvalidInput", name, err)
		}
	}
	huge := luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: at, UserAgent: strings.Repeat("x", 1<<20)})
	if err := store.SetSession(huge, aliveSession("huge", "u1")); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, pool, "SELECT octet_length(user_agent) FROM luciapg_session WHERE session_id = 'huge' AND client_address IS NULL"); n != luciapg.MaxUserAgentBytes {
		t.Fatalf("a 1 MiB user agent was stored as %d bytes, want %d", n, luciapg.MaxUserAgentBytes)
	}
}

// The session insert with its metadata reports an unknown user and a
// taken session id as the plain insert does.
func TestSessionOriginInsertErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	withOrigin := luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: time.Now(), ClientAddress: "192.0.2.1"})
	if err := store.SetSession(withOrigin, aliveSession("s1", "nobody")); !errors.Is(err, luciapg.ErrInvalidUserID) {
		t.Fatalf("SetSession for no user: %v, want ErrInvalidUserID", err)
	}
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(withOrigin, aliveSession("s1", "u1")); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(withOrigin, aliveSession("s1", "u1")); !errors.Is(err, luciapg.ErrDuplicateSessionID) {
		t.Fatalf("SetSession of a taken id: %v, want ErrDuplicateSessionID", err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_session"); n != 1 {
		t.Fatalf("%d metadata rows, want 1", n)
	}
}

// A login with both records: the session, its metadata and the event
// commit together, or, when the key changed, none of them.
func TestSessionOriginAndEventTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1", PrimaryKey: true, HashedPassword: ptr("HASH")}); err != nil {
		t.Fatal(err)
	}
	login := luciapg.WithAuditEvent(luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: time.Now(), ClientAddress: "192.0.2.1"}), loginEvent("u1"))
	if err := store.SetSessionForKey(login, aliveSession("late", "u1"), "email:u1", "OLD HASH", nil); !errors.Is(err, luciapg.ErrKeyChanged) {
		t.Fatalf("SetSessionForKey with a changed key: %v, want ErrKeyChanged", err)
	}
	if auditCount(t, pool) != 0 || countRows(t, pool, "SELECT count(*) FROM luciapg_session") != 0 {
		t.Fatal("a refused login left an event or metadata")
	}
	if err := store.SetSessionForKey(login, aliveSession("s1", "u1"), "email:u1", "HASH", nil); err != nil {
		t.Fatal(err)
	}
	if auditCount(t, pool) != 1 || countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 's1' AND created_at IS NOT NULL") != 1 {
		t.Fatal("a login did not leave its event and metadata")
	}
}
