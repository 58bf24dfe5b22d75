package luciapg_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

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
