package interop

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// Lucia v1's session lifetimes, which the Go auth core's zero Config gives
// too.
const (
	activePeriod = 24 * time.Hour
	idlePeriod   = 14 * 24 * time.Hour
)

// sharedDatabase is one fresh database with both apps on it: the Go auth
// core on luciapg's Store, and a Lucia v1 app.
type sharedDatabase struct {
	url   string
	pool  *pgxpool.Pool
	goApp *auth.Auth
	lucia *luciaV1
}

func newSharedDatabase(t *testing.T) sharedDatabase {
	t.Helper()
	node := findNode(t) // before making a database it could not use
	url := testdb.NewURL(t)
	pool := testdb.Pool(t, url, 4)
	goApp, err := auth.New(luciapg.New(pool), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return sharedDatabase{
		url:   url,
		pool:  pool,
		goApp: goApp,
		lucia: startLuciaV1(t, node, url),
	}
}

// makeIdle moves a session's active expiry a minute into the past, as if
// it had not been used for a day: both apps then find it idle (its idle
// expiry is untouched, days ahead) and renew it on validation.
func (db sharedDatabase) makeIdle(t *testing.T, sessionID string) {
	t.Helper()
	tag, err := db.pool.Exec(context.Background(),
		`UPDATE auth_session SET active_expires = $2 WHERE id = $1`,
		sessionID, time.Now().Add(-time.Minute).UnixMilli())
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("making the session idle: %v (%d rows)", err, tag.RowsAffected())
	}
}

// countSessions counts the user's session rows, live or not.
func (db sharedDatabase) countSessions(t *testing.T, userID string) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM auth_session WHERE user_id = $1`, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// createGoUser creates a user with the primary key username:name through
// the Go auth core. Tests that are not about passwords pass none: scrypt is
// slow, above all in Lucia's pure JavaScript.
func (db sharedDatabase) createGoUser(t *testing.T, name, password string) luciapg.User {
	t.Helper()
	user, err := db.goApp.CreateUser(t.Context(), auth.CreateUserParams{
		Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: name, Password: password},
	})
	if err != nil {
		t.Fatalf("Go CreateUser: %v", err)
	}
	return user
}

// luciaHashFormat is Lucia v1's scrypt hash: "s2", a 16-character salt and
// the 64-byte key in hex.
var luciaHashFormat = regexp.MustCompile(`^s2:[a-zA-Z0-9]{16}:[0-9a-f]{128}$`)

// wantLuciaHash checks that the key's stored hash has Lucia v1's format
// (without ever printing the hash).
func (db sharedDatabase) wantLuciaHash(t *testing.T, keyID string) {
	t.Helper()
	var hash *string
	if err := db.pool.QueryRow(context.Background(),
		`SELECT hashed_password FROM auth_key WHERE id = $1`, keyID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash == nil || !luciaHashFormat.MatchString(*hash) {
		t.Errorf("the stored hash of %s is not in Lucia v1's s2:<salt>:<key> format", keyID)
	}
}

func ptr[T any](v T) *T { return &v }

// wantSameSession checks that Go and Lucia describe one session alike: id,
// user and both expiries to the millisecond.
func wantSameSession(t *testing.T, goSession auth.Session, luciaSession luciaSession) {
	t.Helper()
	if luciaSession.SessionID != goSession.ID || luciaSession.UserID != goSession.UserID ||
		luciaSession.ActiveExpires != goSession.ActiveExpires.UnixMilli() ||
		luciaSession.IdleExpires != goSession.IdleExpires.UnixMilli() {
		t.Fatalf("Lucia sees session (user %s, active until %d, idle until %d, same id: %t), Go (user %s, active until %d, idle until %d)",
			luciaSession.UserID, luciaSession.ActiveExpires, luciaSession.IdleExpires, luciaSession.SessionID == goSession.ID,
			goSession.UserID, goSession.ActiveExpires.UnixMilli(), goSession.IdleExpires.UnixMilli())
	}
}

// wantFreshLifetimes checks that a session created or renewed between
// before and after is active for Lucia's 24 hours from then, then idle for
// 14 days.
func wantFreshLifetimes(t *testing.T, who string, activeExpires, idleExpires int64, before, after time.Time) {
	t.Helper()
	low, high := before.Add(activePeriod).UnixMilli(), after.Add(activePeriod).UnixMilli()
	if activeExpires < low || activeExpires > high {
		t.Errorf("%s: active expiry %d is not 24 hours after the call (between %d and %d)", who, activeExpires, low, high)
	}
	if idleExpires-activeExpires != idlePeriod.Milliseconds() {
		t.Errorf("%s: idle period is %v, want %v", who, time.Duration(idleExpires-activeExpires)*time.Millisecond, idlePeriod)
	}
}

func TestLuciaV1Interop(t *testing.T) {
	t.Parallel()

	t.Run("password key created by Go opens in Lucia", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		user := db.createGoUser(t, "ada", "correct horse ✓ pässword")
		if len(user.ID) != 15 {
			t.Errorf("Go made a user id of %d characters, Lucia v1 makes 15", len(user.ID))
		}
		db.wantLuciaHash(t, "username:ada")
		if err := db.lucia.getUser(user.ID); err != nil {
			t.Fatalf("Lucia getUser of the Go user: %v", err)
		}
		key, err := db.lucia.useKey("username", "ada", ptr("correct horse ✓ pässword"))
		if err != nil {
			t.Fatalf("Lucia useKey with the right password: %v", err)
		}
		want := luciaKey{Type: "persistent", UserID: user.ID, ProviderID: "username", ProviderUserID: "ada", PasswordDefined: true, Primary: true}
		if key != want {
			t.Fatalf("Lucia useKey = %+v, want %+v", key, want)
		}
		for _, wrong := range []*string{ptr("correct horse ✓ password"), nil} {
			if _, err := db.lucia.useKey("username", "ada", wrong); !isLuciaError(err, "AUTH_INVALID_PASSWORD") {
				t.Errorf("Lucia useKey with a wrong or no password: %v, want AUTH_INVALID_PASSWORD", err)
			}
		}
	})

	t.Run("password key created by Lucia opens in Go", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		// Lucia hashes the NFKC form ("fish"); Go, given the password as
		// typed (with the "ﬁ" ligature), normalizes it on verify too.
		const password = "correct ﬁsh ✓ pässword"
		userID := db.lucia.createUser("username", "grace", ptr(password))
		if len(userID) != 15 {
			t.Errorf("Lucia made a user id of %d characters, want 15", len(userID))
		}
		db.wantLuciaHash(t, "username:grace")
		key, err := db.goApp.UseKey(t.Context(), "username", "grace", password)
		if err != nil {
			t.Fatalf("Go UseKey with the right password: %v", err)
		}
		want := auth.Key{ProviderID: "username", ProviderUserID: "grace", UserID: userID, Primary: true, PasswordDefined: true}
		if key != want {
			t.Fatalf("Go UseKey = %+v, want %+v", key, want)
		}
		for _, wrong := range []string{"correct ﬁsh ✓ password", ""} {
			if _, err := db.goApp.UseKey(t.Context(), "username", "grace", wrong); !errors.Is(err, auth.ErrInvalidPassword) {
				t.Errorf("Go UseKey with a wrong or no password: %v, want ErrInvalidPassword", err)
			}
		}
	})

	t.Run("key without a password created by Lucia opens in Go only without a password login", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		userID := db.lucia.createUser("username", "grace", ptr("pw"))
		db.lucia.createKey(userID, "github", "1024", nil)

		// Lucia v1 opens such a key with any password or none; Go's
		// password login must not, or an empty password would log in to
		// every OAuth account.
		for _, password := range []string{"", "anything"} {
			if _, err := db.goApp.UseKey(t.Context(), "github", "1024", password); !errors.Is(err, auth.ErrInvalidPassword) {
				t.Errorf("Go UseKey on Lucia's passwordless key with password %q: %v, want ErrInvalidPassword", password, err)
			}
		}
		key, err := db.goApp.UsePasswordlessKey(t.Context(), "github", "1024")
		if err != nil {
			t.Fatalf("Go UsePasswordlessKey on Lucia's passwordless key: %v", err)
		}
		want := auth.Key{ProviderID: "github", ProviderUserID: "1024", UserID: userID}
		if key != want {
			t.Fatalf("Go UsePasswordlessKey = %+v, want %+v", key, want)
		}
		if _, err := db.goApp.UsePasswordlessKey(t.Context(), "username", "grace"); !errors.Is(err, auth.ErrInvalidPassword) {
			t.Errorf("Go UsePasswordlessKey on Lucia's password key: %v, want ErrInvalidPassword", err)
		}
		// The key is untouched for Lucia.
		if _, err := db.lucia.useKey("github", "1024", nil); err != nil {
			t.Errorf("Lucia useKey on its passwordless key after Go's attempts: %v", err)
		}
	})

	t.Run("session created by Go is active in Lucia", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		user := db.createGoUser(t, "ada", "")
		goSession, err := db.goApp.CreateSession(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		luciaSession, err := db.lucia.validateSession(goSession.ID)
		if err != nil {
			t.Fatalf("Lucia validateSession of Go's session: %v", err)
		}
		if luciaSession.State != "active" || luciaSession.Fresh {
			t.Fatalf("Lucia validateSession: state %s, fresh %t; want active, not renewed", luciaSession.State, luciaSession.Fresh)
		}
		wantSameSession(t, goSession, luciaSession)
		_, sessionUser, err := db.lucia.getSessionUser(goSession.ID)
		if err != nil || sessionUser != user.ID {
			t.Fatalf("Lucia getSessionUser: user %q, %v; want %s", sessionUser, err, user.ID)
		}
	})

	t.Run("session created by Lucia is active in Go", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		userID := db.lucia.createUser("username", "grace", nil)
		before := time.Now()
		luciaSession := db.lucia.createSession(userID)
		after := time.Now()
		if len(luciaSession.SessionID) != auth.DefaultSessionIDLength {
			t.Fatalf("Lucia made a session id of %d characters, want %d", len(luciaSession.SessionID), auth.DefaultSessionIDLength)
		}
		wantFreshLifetimes(t, "Lucia createSession", luciaSession.ActiveExpires, luciaSession.IdleExpires, before, after)
		goSession, user, err := db.goApp.ValidateSessionUser(t.Context(), luciaSession.SessionID)
		if err != nil {
			t.Fatalf("Go ValidateSessionUser of Lucia's session: %v", err)
		}
		if goSession.State != auth.SessionActive || goSession.Fresh || user.ID != userID {
			t.Fatalf("Go ValidateSessionUser: state %v, fresh %t, user %s; want active, not renewed, user %s",
				goSession.State, goSession.Fresh, user.ID, userID)
		}
		wantSameSession(t, goSession, luciaSession)
	})

	t.Run("idle session created by Lucia, renewed by Go, is active in Lucia", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		userID := db.lucia.createUser("username", "grace", nil)
		created := db.lucia.createSession(userID)
		db.makeIdle(t, created.SessionID)

		before := time.Now()
		renewed, err := db.goApp.ValidateSession(t.Context(), created.SessionID)
		after := time.Now()
		if err != nil {
			t.Fatalf("Go ValidateSession of Lucia's idle session: %v", err)
		}
		if renewed.State != auth.SessionActive || !renewed.Fresh || renewed.UserID != userID {
			t.Fatalf("Go renewal: state %v, fresh %t, user %s; want active, fresh, user %s", renewed.State, renewed.Fresh, renewed.UserID, userID)
		}
		wantFreshLifetimes(t, "Go's renewal", renewed.ActiveExpires.UnixMilli(), renewed.IdleExpires.UnixMilli(), before, after)

		// Go renews in place: the id Lucia issued stays, with later
		// expiries, and Lucia takes it as an active session, as is.
		if renewed.ID != created.SessionID {
			t.Fatal("Go's renewal changed the session id; it extends the session in place")
		}
		luciaSession, err := db.lucia.validateSession(renewed.ID)
		if err != nil {
			t.Fatalf("Lucia validateSession of the session Go renewed: %v", err)
		}
		if luciaSession.State != "active" || luciaSession.Fresh {
			t.Fatalf("Lucia validateSession of Go's renewal: state %s, fresh %t; want active, not renewed again", luciaSession.State, luciaSession.Fresh)
		}
		wantSameSession(t, renewed, luciaSession)

		// No second row: nothing is left for either side to clean up.
		rows := db.countSessions(t, userID)
		live, err := db.lucia.getAllUserSessions(userID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("after Go's renewal the user has %d session rows, %d live for Lucia", rows, len(live))
		if rows != 1 || len(live) != 1 {
			t.Fatalf("after Go's renewal the user has %d session rows (%d live for Lucia), want 1", rows, len(live))
		}
	})

	t.Run("idle session created by Go, renewed by Lucia, is active in Go", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		user := db.createGoUser(t, "ada", "")
		created, err := db.goApp.CreateSession(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		db.makeIdle(t, created.ID)
		if s, err := db.goApp.GetAllUserSessions(t.Context(), user.ID); err != nil || len(s) != 1 || s[0].State != auth.SessionIdle {
			t.Fatalf("Go GetAllUserSessions after making it idle: %+v, %v; want one idle session", s, err)
		}

		before := time.Now()
		renewed, err := db.lucia.validateSession(created.ID)
		after := time.Now()
		if err != nil {
			t.Fatalf("Lucia validateSession of Go's idle session: %v", err)
		}
		if renewed.State != "active" || !renewed.Fresh || renewed.SessionID == created.ID || renewed.UserID != user.ID {
			t.Fatalf("Lucia renewal: state %s, fresh %t, new id %t, user %s; want active, fresh, a new id, user %s",
				renewed.State, renewed.Fresh, renewed.SessionID != created.ID, renewed.UserID, user.ID)
		}
		wantFreshLifetimes(t, "Lucia's renewal", renewed.ActiveExpires, renewed.IdleExpires, before, after)

		goSession, err := db.goApp.ValidateSession(t.Context(), renewed.SessionID)
		if err != nil {
			t.Fatalf("Go ValidateSession of the session Lucia renewed: %v", err)
		}
		if goSession.State != auth.SessionActive || goSession.Fresh {
			t.Fatalf("Go ValidateSession of Lucia's renewal: state %v, fresh %t; want active, not renewed again", goSession.State, goSession.Fresh)
		}
		wantSameSession(t, goSession, renewed)
	})

	t.Run("session invalidated by Go is gone for Lucia", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		user := db.createGoUser(t, "ada", "")
		session, err := db.goApp.CreateSession(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.lucia.validateSession(session.ID); err != nil {
			t.Fatalf("Lucia validateSession before Go invalidates it: %v", err)
		}
		if err := db.goApp.InvalidateSession(t.Context(), session.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.lucia.validateSession(session.ID); !isLuciaError(err, "AUTH_INVALID_SESSION_ID") {
			t.Fatalf("Lucia validateSession after Go invalidated it: %v, want AUTH_INVALID_SESSION_ID", err)
		}
	})

	t.Run("session invalidated by Lucia is gone for Go", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		userID := db.lucia.createUser("username", "grace", nil)
		session := db.lucia.createSession(userID)
		if _, err := db.goApp.ValidateSession(t.Context(), session.SessionID); err != nil {
			t.Fatalf("Go ValidateSession before Lucia invalidates it: %v", err)
		}
		db.lucia.invalidateSession(session.SessionID)
		if _, err := db.goApp.ValidateSession(t.Context(), session.SessionID); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("Go ValidateSession after Lucia invalidated it: %v, want ErrInvalidSessionID", err)
		}
	})

	t.Run("user deleted by Go leaves Lucia no sessions or keys", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		userID := db.lucia.createUser("username", "grace", nil)
		db.lucia.createKey(userID, "github", "1024", nil)
		luciaSession := db.lucia.createSession(userID)
		goSession, err := db.goApp.CreateSession(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}

		if err := db.goApp.DeleteUser(t.Context(), userID); err != nil {
			t.Fatal(err)
		}
		if err := db.lucia.getUser(userID); !isLuciaError(err, "AUTH_INVALID_USER_ID") {
			t.Errorf("Lucia getUser after Go deleted the user: %v, want AUTH_INVALID_USER_ID", err)
		}
		for _, id := range []string{luciaSession.SessionID, goSession.ID} {
			if _, err := db.lucia.validateSession(id); !isLuciaError(err, "AUTH_INVALID_SESSION_ID") {
				t.Errorf("Lucia validateSession after Go deleted the user: %v, want AUTH_INVALID_SESSION_ID", err)
			}
		}
		for _, k := range [][2]string{{"username", "grace"}, {"github", "1024"}} {
			if _, err := db.lucia.getKey(k[0], k[1]); !isLuciaError(err, "AUTH_INVALID_KEY_ID") {
				t.Errorf("Lucia getKey %s after Go deleted the user: %v, want AUTH_INVALID_KEY_ID", k[0], err)
			}
		}
		if _, err := db.lucia.useKey("username", "grace", nil); !isLuciaError(err, "AUTH_INVALID_KEY_ID") {
			t.Errorf("Lucia useKey after Go deleted the user: %v, want AUTH_INVALID_KEY_ID", err)
		}
	})

	t.Run("user deleted by Lucia leaves Go no sessions or keys", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		user := db.createGoUser(t, "ada", "")
		goSession, err := db.goApp.CreateSession(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		luciaSession := db.lucia.createSession(user.ID)

		db.lucia.deleteUser(user.ID)
		if _, err := db.goApp.GetUser(t.Context(), user.ID); !errors.Is(err, luciapg.ErrInvalidUserID) {
			t.Errorf("Go GetUser after Lucia deleted the user: %v, want ErrInvalidUserID", err)
		}
		for _, id := range []string{goSession.ID, luciaSession.SessionID} {
			if _, err := db.goApp.ValidateSession(t.Context(), id); !errors.Is(err, luciapg.ErrInvalidSessionID) {
				t.Errorf("Go ValidateSession after Lucia deleted the user: %v, want ErrInvalidSessionID", err)
			}
		}
		if _, err := db.goApp.UseKey(t.Context(), "username", "ada", ""); !errors.Is(err, luciapg.ErrInvalidKeyID) {
			t.Errorf("Go UseKey after Lucia deleted the user: %v, want ErrInvalidKeyID", err)
		}
	})
}
