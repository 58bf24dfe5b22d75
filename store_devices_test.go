package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// A user's list: newest first, sessions without metadata last, each with
// its factors; an unknown user is ErrInvalidUserID, a user without
// sessions an empty list; a list with sessions costs one statement.
func TestGetUserSessionsMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, counter := countedPool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	t0 := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	for _, id := range []string{"u1", "u2"} {
		if _, err := store.SetUser(ctx, luciapg.User{ID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := store.GetUserSessionsMetadata(ctx, "u1"); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("a user without sessions: %v, %v; want an empty list", list, err)
	}
	for _, id := range []string{"nobody", "", strings.Repeat("x", luciapg.MaxIDBytes+1), "\xff"} {
		if _, err := store.GetUserSessionsMetadata(ctx, id); !errors.Is(err, luciapg.ErrInvalidUserID) {
			t.Errorf("GetUserSessionsMetadata(%.10q): %v, want ErrInvalidUserID", id, err)
		}
	}
	insert := func(id string, origin *luciapg.SessionOrigin) {
		t.Helper()
		c := ctx
		if origin != nil {
			c = luciapg.WithSessionOrigin(ctx, *origin)
		}
		if err := store.SetSession(c, aliveSession(id, "u1")); err != nil {
			t.Fatal(err)
		}
	}
	insert("old", &luciapg.SessionOrigin{At: t0, ClientAddress: "192.0.2.1", UserAgent: "curl/8.5.0"})
	insert("lucia-b", nil)
	insert("new", &luciapg.SessionOrigin{At: t0.Add(time.Hour)})
	insert("lucia-a", nil)
	if err := store.SetSessionFactors(ctx, luciapg.SessionFactors{SessionID: "new", UserID: "u1", Factors: []string{"password", "totp"}, AuthenticatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSessionFactors(ctx, luciapg.SessionFactors{SessionID: "lucia-a", UserID: "u1", Factors: []string{"password"}, AuthenticatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, aliveSession("other-user", "u2")); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordSessionsSeen(ctx, []luciapg.SessionSeen{{SessionID: "old", At: t0.Add(30 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}

	before := counter.n.Load()
	list, err := store.GetUserSessionsMetadata(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if sent := counter.n.Load() - before; sent != 1 {
		t.Errorf("GetUserSessionsMetadata sent %d statements, want 1", sent)
	}
	var order []string
	for _, m := range list {
		order = append(order, m.Session.ID)
	}
	if got := strings.Join(order, ","); got != "new,old,lucia-a,lucia-b" {
		t.Fatalf("order %s, want new,old,lucia-a,lucia-b", got)
	}
	newest, old, luciaA, luciaB := list[0], list[1], list[2], list[3]
	if !newest.HasMetadata || !newest.CreatedAt.Equal(t0.Add(time.Hour)) || newest.ClientAddress != "" || !newest.LastSeenAt.IsZero() ||
		strings.Join(newest.Factors, ",") != "password,totp" || newest.Session.UserID != "u1" || newest.Session.IdleExpires == 0 {
		t.Errorf("newest = %+v", newest)
	}
	if !old.HasMetadata || !old.CreatedAt.Equal(t0) || old.ClientAddress != "192.0.2.1" || old.UserAgent != "curl/8.5.0" ||
		!old.LastSeenAt.Equal(t0.Add(30*time.Minute)) || old.Factors != nil {
		t.Errorf("old = %+v", old)
	}
	if luciaA.HasMetadata || !luciaA.CreatedAt.IsZero() || strings.Join(luciaA.Factors, ",") != "password" {
		t.Errorf("a Lucia session with a factor record = %+v", luciaA)
	}
	if luciaB.HasMetadata || luciaB.Factors != nil || luciaB.UserAgent != "" {
		t.Errorf("a Lucia session = %+v", luciaB)
	}
}

// RecordSessionsSeen keeps the latest time, skips sessions without
// metadata and gone ones, and takes ten thousand sessions in one
// statement.
func TestRecordSessionsSeen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, counter := countedPool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	t0 := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	const n = 10000
	withOrigin := luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: t0})
	if _, err := pool.Exec(ctx, `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
		SELECT 's' || i, 'u1', 1, 2 FROM generate_series(1, $1) AS i;
		`, n); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO luciapg_session (session_id, user_id, created_at)
		SELECT 's' || i, 'u1', $2 FROM generate_series(1, $1) AS i`, n, t0); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, aliveSession("lucia", "u1")); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(withOrigin, aliveSession("later", "u1")); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordSessionsSeen(ctx, []luciapg.SessionSeen{{SessionID: "later", At: t0.Add(2 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}

	var seen []luciapg.SessionSeen
	for i := 1; i <= n; i++ {
		seen = append(seen, luciapg.SessionSeen{SessionID: fmt.Sprintf("s%d", i), At: t0.Add(time.Minute)})
	}
	seen = append(seen,
		luciapg.SessionSeen{SessionID: "s1", At: t0.Add(time.Hour)}, // twice in a batch: the later wins
		luciapg.SessionSeen{SessionID: "later", At: t0.Add(time.Hour)},
		luciapg.SessionSeen{SessionID: "lucia", At: t0.Add(time.Hour)},
		luciapg.SessionSeen{SessionID: "gone", At: t0.Add(time.Hour)},
		luciapg.SessionSeen{SessionID: "\xff\x00", At: t0.Add(time.Hour)},
		luciapg.SessionSeen{SessionID: strings.Repeat("x", luciapg.MaxIDBytes+1), At: t0.Add(time.Hour)},
	)
	before := counter.n.Load()
	if err := store.RecordSessionsSeen(ctx, seen); err != nil {
		t.Fatal(err)
	}
	if sent := counter.n.Load() - before; sent != 1 {
		t.Errorf("a batch of %d sent %d statements, want 1", len(seen), sent)
	}
	if got := countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE last_seen_at = $1", t0.Add(time.Minute)); got != n-1 {
		t.Errorf("%d sessions seen at the batch's time, want %d", got, n-1)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 's1' AND last_seen_at = $1", t0.Add(time.Hour)) != 1 {
		t.Error("the later of two uses in one batch was not kept")
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'later' AND last_seen_at = $1", t0.Add(2*time.Hour)) != 1 {
		t.Error("an earlier use replaced a later one")
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'lucia'") != 0 {
		t.Error("a use of a session without metadata made it a row")
	}

	// A time no storage holds refuses the batch; an empty batch sends nothing.
	if err := store.RecordSessionsSeen(ctx, []luciapg.SessionSeen{{SessionID: "s1"}}); !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Errorf("a zero time: %v, want ErrInvalidInput", err)
	}
	before = counter.n.Load()
	if err := store.RecordSessionsSeen(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if sent := counter.n.Load() - before; sent != 0 {
		t.Errorf("an empty batch sent %d statements", sent)
	}
}

// DeleteOtherUserSessions keeps the one named and counts the others; an
// id no session could have keeps none; another user's sessions stay.
func TestDeleteOtherUserSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	for _, u := range []string{"u1", "u2"} {
		if _, err := store.SetUser(ctx, luciapg.User{ID: u}, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := store.SetSession(ctx, aliveSession(fmt.Sprintf("%s-%d", u, i), u)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := store.DeleteOtherUserSessions(ctx, "u1", "u1-0"); err != nil || n != 2 {
		t.Fatalf("DeleteOtherUserSessions = %d, %v; want 2", n, err)
	}
	if countRows(t, pool, "SELECT count(*) FROM auth_session WHERE user_id = 'u1' AND id = 'u1-0'") != 1 {
		t.Fatal("the session to keep is gone")
	}
	if n, err := store.DeleteOtherUserSessions(ctx, "u1", "u1-0"); err != nil || n != 0 {
		t.Fatalf("again = %d, %v; want 0", n, err)
	}
	if n, err := store.DeleteOtherUserSessions(ctx, "u1", "\xff"); err != nil || n != 1 {
		t.Fatalf("keeping an impossible id = %d, %v; want 1", n, err)
	}
	if n, err := store.DeleteOtherUserSessions(ctx, "\xff", "u1-0"); err != nil || n != 0 {
		t.Fatalf("an impossible user = %d, %v; want 0", n, err)
	}
	if countRows(t, pool, "SELECT count(*) FROM auth_session WHERE user_id = 'u2'") != 3 {
		t.Fatal("another user's sessions were deleted")
	}
}

// A Lucia v1 app knows nothing of luciapg's tables and deletes with plain
// SQL: its deletes take the sessions' metadata and the user's pending
// email change with them, and leave the audit log.
func TestLuciaV1DeletesTakeMetadataAndKeepTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	withOrigin := luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: time.Now(), ClientAddress: "192.0.2.1"})
	for _, u := range []string{"u1", "u2"} {
		if _, err := store.SetUser(luciapg.WithAuditEvent(ctx, luciapg.AuditEvent{At: time.Now(), Kind: luciapg.AuditSignUp, UserID: u}), luciapg.User{ID: u}, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := store.SetSession(withOrigin, aliveSession(fmt.Sprintf("%s-%d", u, i), u)); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.SetEmailChange(ctx, luciapg.EmailChange{UserID: u, NewEmail: u + "@example.com", TokenID: "t-" + u, Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// Lucia v1's invalidateSession, then deleteUser (sessions, keys, user).
	if _, err := pool.Exec(ctx, "DELETE FROM auth_session WHERE id = 'u1-0'"); err != nil {
		t.Fatal(err)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE session_id = 'u1-0'") != 0 {
		t.Fatal("a session Lucia deleted kept its metadata")
	}
	for _, sql := range []string{
		"DELETE FROM auth_session WHERE user_id = 'u2'",
		"DELETE FROM auth_key WHERE user_id = 'u2'",
		"DELETE FROM auth_user WHERE id = 'u2'",
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_session WHERE user_id = 'u2'") != 0 ||
		countRows(t, pool, "SELECT count(*) FROM luciapg_email_change WHERE user_id = 'u2'") != 0 {
		t.Fatal("a user Lucia deleted kept metadata or a pending email change")
	}
	// Deleting the user alone (an app that leaves the cascade to the
	// database, as luciapg's DeleteUser does) takes them too.
	if _, err := pool.Exec(ctx, "DELETE FROM auth_session WHERE user_id = 'u1'; DELETE FROM auth_user WHERE id = 'u1'"); err != nil {
		t.Fatal(err)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_session") != 0 || countRows(t, pool, "SELECT count(*) FROM luciapg_email_change") != 0 {
		t.Fatal("rows of deleted users are left")
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event WHERE kind = 'signup'"); n != 2 {
		t.Fatalf("%d sign-up events left after the users' deletion, want 2: the log outlives them", n)
	}
}
