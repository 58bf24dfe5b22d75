package adaptertest

import (
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
)

// unstorableID is an id no adapter may store: PostgreSQL's text cannot
// hold the last two, and the first two are refused by luciapg's rules
// (see luciapg.MaxIDBytes).
type unstorableID struct {
	what, id string
}

func unstorableIDs() []unstorableID {
	return []unstorableID{
		{"empty", ""},
		{"over MaxIDBytes", strings.Repeat("a", luciapg.MaxIDBytes+1)},
		{"with a NUL byte", "id\x00tail"},
		{"invalid UTF-8", "id\xff\xfe"},
	}
}

// readable reports whether storage can be asked about id: PostgreSQL
// refuses a query parameter it cannot hold as text.
func (u unstorableID) readable() bool {
	return u.what == "empty" || u.what == "over MaxIDBytes"
}

// inputCases hold every adapter to the Store's input rules: what it refuses
// with ErrInvalidInput, before storing anything, and what a lookup of an id
// that can never be stored returns.
var inputCases = []testCase{
	{"I1", "SetUser refuses a user id that cannot be stored, with or without a key", func(t *testing.T, c *caseEnv) {
		for _, bad := range unstorableIDs() {
			_, err := c.adapter.SetUser(c.ctx, luciapg.User{ID: bad.id}, nil)
			wantErr(t, "SetUser with a user id "+bad.what, err, luciapg.ErrInvalidInput)
			key := primaryKey(bad.id)
			key.ID = "email:" + newFixtureUser().ID
			_, err = c.adapter.SetUser(c.ctx, luciapg.User{ID: bad.id}, &key)
			wantErr(t, "SetUser with a key and a user id "+bad.what, err, luciapg.ErrInvalidInput)
			c.wantNoKey(t, key.ID)
			if bad.readable() {
				c.wantNoUser(t, bad.id)
			}
		}
	}},
	{"I2", "SetUser refuses a key id that cannot be stored and stores neither", func(t *testing.T, c *caseEnv) {
		for _, bad := range unstorableIDs() {
			u := newFixtureUser()
			key := primaryKey(u.ID)
			key.ID = bad.id
			_, err := c.adapter.SetUser(c.ctx, u.user(), &key)
			wantErr(t, "SetUser with a key id "+bad.what, err, luciapg.ErrInvalidInput)
			c.wantNoUser(t, u.ID)
		}
	}},
	{"I3", "SetKey refuses a key or user id that cannot be stored", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		for _, bad := range unstorableIDs() {
			key := persistentKey(u.ID, true)
			key.ID = bad.id
			wantErr(t, "SetKey with a key id "+bad.what, c.adapter.SetKey(c.ctx, key), luciapg.ErrInvalidInput)
			if bad.readable() {
				c.wantNoKey(t, bad.id)
			}
			key = persistentKey(u.ID, true)
			key.UserID = bad.id
			wantErr(t, "SetKey with a user id "+bad.what, c.adapter.SetKey(c.ctx, key), luciapg.ErrInvalidInput)
			c.wantNoKey(t, key.ID)
		}
	}},
	{"I4", "SetSession refuses a session or user id that cannot be stored", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		for _, bad := range unstorableIDs() {
			s := newSession(u.ID)
			s.ID = bad.id
			wantErr(t, "SetSession with a session id "+bad.what, c.adapter.SetSession(c.ctx, s), luciapg.ErrInvalidInput)
			if bad.readable() {
				c.wantNoSession(t, bad.id)
			}
			s = newSession(u.ID)
			s.UserID = bad.id
			wantErr(t, "SetSession with a user id "+bad.what, c.adapter.SetSession(c.ctx, s), luciapg.ErrInvalidInput)
			c.wantNoSession(t, s.ID)
		}
	}},
	{"I5", "a primary key with an expiry is refused: it could never be used", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		key := primaryKey(u.ID)
		key.Expires = ptr(nowMillis() + 60_000)
		_, err := c.adapter.SetUser(c.ctx, u.user(), &key)
		wantErr(t, "SetUser with an expiring primary key", err, luciapg.ErrInvalidInput)
		c.wantNoUser(t, u.ID)
		c.wantNoKey(t, key.ID)

		owner := c.seedUser(t)
		key = primaryKey(owner.ID)
		key.Expires = ptr(nowMillis() + 60_000)
		wantErr(t, "SetKey with an expiring primary key", c.adapter.SetKey(c.ctx, key), luciapg.ErrInvalidInput)
		c.wantNoKey(t, key.ID)
	}},
	{"I6", "a password hash text cannot hold is refused", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		bad := ptr("hash\x00tail")
		key := persistentKey(u.ID, false)
		key.HashedPassword = bad
		wantErr(t, "SetKey", c.adapter.SetKey(c.ctx, key), luciapg.ErrInvalidInput)
		c.wantNoKey(t, key.ID)

		stored := c.seedKey(t, persistentKey(u.ID, true))
		_, err := c.adapter.UpdateKeyPassword(c.ctx, stored.ID, bad)
		wantErr(t, "UpdateKeyPassword", err, luciapg.ErrInvalidInput)
		c.wantStoredKey(t, stored)
	}},
	{"I8", "attributes that cannot address one column or hold a value are refused", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		for what, attributes := range map[string]map[string]any{
			"an empty name":            {"": "x"},
			"the name id":              {"id": "other"},
			"a name with a NUL byte":   {"nick\x00name": "x"},
			"a name over 63 bytes":     {strings.Repeat("n", 64): "x"},
			"a value with a NUL byte":  {"nickname": "Ada\x00"},
			"a value of invalid UTF-8": {"nickname": "Ada\xff"},
		} {
			fresh := newFixtureUser()
			_, err := c.adapter.SetUser(c.ctx, luciapg.User{ID: fresh.ID, Attributes: attributes}, nil)
			wantErr(t, "SetUser with "+what, err, luciapg.ErrInvalidInput)
			c.wantNoUser(t, fresh.ID)
			_, err = c.adapter.UpdateUserAttributes(c.ctx, u.ID, attributes)
			wantErr(t, "UpdateUserAttributes with "+what, err, luciapg.ErrInvalidInput)
		}
		c.wantStoredUser(t, u.stored())
	}},
	{"I7", "lookups of ids that cannot be stored find nothing", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		k := c.seedKey(t, persistentKey(u.ID, true))
		for _, bad := range unstorableIDs() {
			_, err := c.adapter.GetUser(c.ctx, bad.id)
			wantErr(t, "GetUser "+bad.what, err, luciapg.ErrInvalidUserID)
			_, err = c.adapter.UpdateUserAttributes(c.ctx, bad.id, map[string]any{"nickname": "x"})
			wantErr(t, "UpdateUserAttributes "+bad.what, err, luciapg.ErrInvalidUserID)
			_, err = c.adapter.GetKey(c.ctx, bad.id)
			wantErr(t, "GetKey "+bad.what, err, luciapg.ErrInvalidKeyID)
			_, err = c.adapter.UpdateKeyPassword(c.ctx, bad.id, ptr("HASHED"))
			wantErr(t, "UpdateKeyPassword "+bad.what, err, luciapg.ErrInvalidKeyID)
			_, err = c.adapter.ConsumeKey(c.ctx, bad.id)
			wantErr(t, "ConsumeKey "+bad.what, err, luciapg.ErrInvalidKeyID)
			_, err = c.adapter.GetSession(c.ctx, bad.id)
			wantErr(t, "GetSession "+bad.what, err, luciapg.ErrInvalidSessionID)
			_, _, err = c.adapter.GetSessionAndUser(c.ctx, bad.id)
			wantErr(t, "GetSessionAndUser "+bad.what, err, luciapg.ErrInvalidSessionID)
			keys, err := c.adapter.GetKeysByUserID(c.ctx, bad.id)
			wantNoErr(t, "GetKeysByUserID "+bad.what, err)
			sessions, err := c.adapter.GetSessionsByUserID(c.ctx, bad.id)
			wantNoErr(t, "GetSessionsByUserID "+bad.what, err)
			if len(keys) != 0 || len(sessions) != 0 {
				t.Fatalf("%s: found %d keys and %d sessions", bad.what, len(keys), len(sessions))
			}
			wantNoErr(t, "DeleteUser "+bad.what, c.adapter.DeleteUser(c.ctx, bad.id))
			wantNoErr(t, "DeleteSession "+bad.what, c.adapter.DeleteSession(c.ctx, bad.id))
			wantNoErr(t, "DeleteSessionsByUserID "+bad.what, c.adapter.DeleteSessionsByUserID(c.ctx, bad.id))
			wantNoErr(t, "DeleteNonPrimaryKey "+bad.what, c.adapter.DeleteNonPrimaryKey(c.ctx, bad.id))
			wantNoErr(t, "DeleteKeysByUserID "+bad.what, c.adapter.DeleteKeysByUserID(c.ctx, bad.id))
		}
		c.wantStoredUser(t, u.stored())
		c.wantStoredSession(t, s)
		c.wantStoredKey(t, k)
	}},
}
