package adaptertest

import (
	"context"
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

// readRow reads one row from storage, failing the test on a storage error.
func readRow[T any](t *testing.T, ctx context.Context, read func(context.Context, string) (T, bool, error), what, id string) (T, bool) {
	t.Helper()
	row, ok, err := read(ctx, id)
	if err != nil {
		t.Fatalf("reading %s %q from storage: %v", what, id, err)
	}
	return row, ok
}

// wantStored fails unless storage holds exactly want under id.
func wantStored[T any](t *testing.T, ctx context.Context, read func(context.Context, string) (T, bool, error), what, id string, want T) {
	t.Helper()
	got, ok := readRow(t, ctx, read, what, id)
	if !ok {
		t.Fatalf("%s %q is not in storage", what, id)
	}
	wantEqual(t, "stored "+what, got, want)
}

// wantAbsent fails if storage holds a row under id.
func wantAbsent[T any](t *testing.T, ctx context.Context, read func(context.Context, string) (T, bool, error), what, id string) {
	t.Helper()
	if _, ok := readRow(t, ctx, read, what, id); ok {
		t.Fatalf("%s %q is in storage, want it absent", what, id)
	}
}

func (c *caseEnv) wantStoredUser(t *testing.T, want luciapg.User) {
	t.Helper()
	wantStored(t, c.ctx, c.storage.User, "user", want.ID, want)
}

func (c *caseEnv) wantStoredKey(t *testing.T, want luciapg.Key) {
	t.Helper()
	wantStored(t, c.ctx, c.storage.Key, "key", want.ID, want)
}

func (c *caseEnv) wantStoredSession(t *testing.T, want luciapg.Session) {
	t.Helper()
	wantStored(t, c.ctx, c.storage.Session, "session", want.ID, want)
}

func (c *caseEnv) wantNoUser(t *testing.T, id string) {
	t.Helper()
	wantAbsent(t, c.ctx, c.storage.User, "user", id)
}

func (c *caseEnv) wantNoKey(t *testing.T, id string) {
	t.Helper()
	wantAbsent(t, c.ctx, c.storage.Key, "key", id)
}

func (c *caseEnv) wantNoSession(t *testing.T, id string) {
	t.Helper()
	wantAbsent(t, c.ctx, c.storage.Session, "session", id)
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
