package adaptertest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

const alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		// Slightly uneven over 62 letters; test ids need only be distinct.
		b[i] = alphanumeric[int(b[i])%len(alphanumeric)]
	}
	return string(b)
}

// fixtureUser is a user as the suite seeds it: 8-character id, username
// "user_" + 4 characters.
type fixtureUser struct {
	ID, Username string
}

func newFixtureUser() fixtureUser {
	return fixtureUser{ID: randomString(8), Username: "user_" + randomString(4)}
}

func (u fixtureUser) user() luciapg.User {
	return luciapg.User{ID: u.ID, Attributes: map[string]any{"username": u.Username}}
}

// stored is the row the database holds for a user inserted with only its
// username: the other attribute columns take their defaults.
func (u fixtureUser) stored() luciapg.User {
	return luciapg.User{ID: u.ID, Attributes: map[string]any{"username": u.Username, "plan": "free", "nickname": nil}}
}

func nowMillis() int64 { return time.Now().UnixMilli() }

func newSession(userID string) luciapg.Session {
	active := nowMillis() + 8*time.Hour.Milliseconds()
	return luciapg.Session{
		ID:            "at_" + randomString(40),
		UserID:        userID,
		ActiveExpires: active,
		IdleExpires:   active + 24*time.Hour.Milliseconds(),
	}
}

func ptr[T any](v T) *T { return &v }

// persistentKey has a password unless withPassword is false.
func persistentKey(userID string, withPassword bool) luciapg.Key {
	key := luciapg.Key{ID: "test:" + userID + "@example.com", UserID: userID}
	if withPassword {
		key.HashedPassword = ptr("HASHED")
	}
	return key
}

func primaryKey(userID string) luciapg.Key {
	key := persistentKey(userID, true)
	key.PrimaryKey = true
	return key
}

func singleUseKey(userID string) luciapg.Key {
	key := persistentKey(userID, false)
	key.Expires = ptr(nowMillis() + time.Hour.Milliseconds())
	return key
}

// The helpers below fail the test on storage errors, so cases read as the
// contract does.

func (c *caseEnv) seedUser(t *testing.T) fixtureUser {
	t.Helper()
	u := newFixtureUser()
	if err := c.storage.InsertUser(c.ctx, u.ID, u.Username); err != nil {
		t.Fatalf("seeding user: %v", err)
	}
	return u
}

func (c *caseEnv) seedSession(t *testing.T, userID string) luciapg.Session {
	t.Helper()
	s := newSession(userID)
	if err := c.storage.InsertSession(c.ctx, s); err != nil {
		t.Fatalf("seeding session: %v", err)
	}
	return s
}

func (c *caseEnv) seedKey(t *testing.T, key luciapg.Key) luciapg.Key {
	t.Helper()
	if err := c.storage.InsertKey(c.ctx, key); err != nil {
		t.Fatalf("seeding key: %v", err)
	}
	return key
}

func (c *caseEnv) storedUser(t *testing.T, id string) (luciapg.User, bool) {
	t.Helper()
	u, ok, err := c.storage.User(c.ctx, id)
	if err != nil {
		t.Fatalf("reading user from storage: %v", err)
	}
	return u, ok
}

func (c *caseEnv) storedKey(t *testing.T, id string) (luciapg.Key, bool) {
	t.Helper()
	k, ok, err := c.storage.Key(c.ctx, id)
	if err != nil {
		t.Fatalf("reading key from storage: %v", err)
	}
	return k, ok
}

func (c *caseEnv) storedSession(t *testing.T, id string) (luciapg.Session, bool) {
	t.Helper()
	s, ok, err := c.storage.Session(c.ctx, id)
	if err != nil {
		t.Fatalf("reading session from storage: %v", err)
	}
	return s, ok
}

// wantStoredUser fails unless storage holds exactly want.
func (c *caseEnv) wantStoredUser(t *testing.T, want luciapg.User) {
	t.Helper()
	got, ok := c.storedUser(t, want.ID)
	if !ok {
		t.Fatalf("user %q is not in storage", want.ID)
	}
	wantEqual(t, "stored user", got, want)
}

func (c *caseEnv) wantStoredKey(t *testing.T, want luciapg.Key) {
	t.Helper()
	got, ok := c.storedKey(t, want.ID)
	if !ok {
		t.Fatalf("key %q is not in storage", want.ID)
	}
	wantEqual(t, "stored key", got, want)
}

func (c *caseEnv) wantStoredSession(t *testing.T, want luciapg.Session) {
	t.Helper()
	got, ok := c.storedSession(t, want.ID)
	if !ok {
		t.Fatalf("session %q is not in storage", want.ID)
	}
	wantEqual(t, "stored session", got, want)
}

func (c *caseEnv) wantNoUser(t *testing.T, id string) {
	t.Helper()
	if _, ok := c.storedUser(t, id); ok {
		t.Fatalf("user %q is in storage, want it absent", id)
	}
}

func (c *caseEnv) wantNoKey(t *testing.T, id string) {
	t.Helper()
	if _, ok := c.storedKey(t, id); ok {
		t.Fatalf("key %q is in storage, want it absent", id)
	}
}

func (c *caseEnv) wantNoSession(t *testing.T, id string) {
	t.Helper()
	if _, ok := c.storedSession(t, id); ok {
		t.Fatalf("session %q is in storage, want it absent", id)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, describe(got), describe(want))
	}
}

func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", op, err, want)
	}
}

func wantNoErr(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// describe formats rows for failure messages, showing what pointers point
// to.
func describe(v any) string {
	switch v := v.(type) {
	case luciapg.Key:
		return fmt.Sprintf("{ID:%q UserID:%q PrimaryKey:%v HashedPassword:%s Expires:%s}",
			v.ID, v.UserID, v.PrimaryKey, deref(v.HashedPassword), deref(v.Expires))
	case []luciapg.Key:
		parts := make([]string, len(v))
		for i, k := range v {
			parts[i] = describe(k)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		return fmt.Sprintf("%+v", v)
	}
}

func deref[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("&%v", *p)
}
