package interop

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// A Lucia v1 app on the migrated database (migration
// 20261208000000_sessions_and_audit): it reads sessions made with
// metadata as its own, its sessions show in the device list without
// metadata, and its deletions take the metadata and pending email changes
// along while the audit log stays.
func TestLuciaV1WithSessionMetadataAndAuditLog(t *testing.T) {
	t.Parallel()
	db := newSharedDatabase(t)
	store := luciapg.New(db.pool)
	ctx := t.Context()
	now := time.Now()
	userID := db.lucia.createUser("username", "grace", nil)
	luciaSession := db.lucia.createSession(userID)
	withRecords := luciapg.WithAuditEvent(
		luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: now, ClientAddress: "192.0.2.1", UserAgent: "Mozilla/5.0"}),
		luciapg.AuditEvent{At: now, Kind: luciapg.AuditLogin, UserID: userID, ClientAddress: "192.0.2.1", UserAgent: "Mozilla/5.0"})
	// Lucia v1 takes only 40-character session ids.
	goSession := luciapg.Session{ID: "go0session0with0metadata0000000000000040", UserID: userID,
		ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}
	if err := store.SetSession(withRecords, goSession); err != nil {
		t.Fatal(err)
	}
	if err := store.SetEmailChange(ctx, luciapg.EmailChange{UserID: userID, NewEmail: "grace@example.com", TokenID: "t1", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Lucia validates the session Go made with metadata.
	if got, err := db.lucia.validateSession(goSession.ID); err != nil || got.SessionID != goSession.ID {
		t.Fatalf("Lucia validateSession of a session with metadata: %+v, %v", got, err)
	}
	list, err := store.GetUserSessionsMetadata(ctx, userID)
	if err != nil || len(list) != 2 {
		t.Fatalf("GetUserSessionsMetadata = %+v, %v; want both sessions", list, err)
	}
	if list[0].Session.ID != goSession.ID || !list[0].HasMetadata || list[1].Session.ID != luciaSession.SessionID || list[1].HasMetadata {
		t.Fatalf("device list %+v: want Go's session with metadata first, then Lucia's without", list)
	}

	db.lucia.invalidateSession(goSession.ID)
	if n := db.countUserRows(t, "luciapg_session", userID); n != 0 {
		t.Fatalf("%d metadata rows left after Lucia invalidated the session", n)
	}
	db.lucia.deleteUser(userID)
	if n := db.countUserRows(t, "luciapg_email_change", userID); n != 0 {
		t.Fatal("the pending email change outlived the user Lucia deleted")
	}
	var events int
	if err := db.pool.QueryRow(context.Background(), "SELECT count(*) FROM luciapg_audit_event WHERE user_id = $1", userID).Scan(&events); err != nil || events != 1 {
		t.Fatalf("%d audit events left, %v; want the login, kept after the user's deletion", events, err)
	}
}
