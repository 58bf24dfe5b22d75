package adaptertest

import (
	"testing"

	"github.com/luciapg/luciapg"
)

var userCases = []testCase{
	{"U1", "GetUser returns the user", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		got, err := c.adapter.GetUser(c.ctx, u.ID)
		wantNoErr(t, "GetUser", err)
		wantEqual(t, "GetUser", got, u.stored())
	}},
	{"U2", "GetUser of an unknown id fails with ErrInvalidUserID", func(t *testing.T, c *caseEnv) {
		_, err := c.adapter.GetUser(c.ctx, newFixtureUser().ID)
		wantErr(t, "GetUser", err, luciapg.ErrInvalidUserID)
	}},
	{"U3", "SetUser inserts the user", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		_, err := c.adapter.SetUser(c.ctx, u.user(), nil)
		wantNoErr(t, "SetUser", err)
		c.wantStoredUser(t, u.stored())
	}},
	{"U4", "SetUser returns the stored row", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		got, err := c.adapter.SetUser(c.ctx, u.user(), nil)
		wantNoErr(t, "SetUser", err)
		wantEqual(t, "SetUser", got, u.stored())
	}},
	{"U5", "SetUser with a key inserts the user", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		key := primaryKey(u.ID)
		_, err := c.adapter.SetUser(c.ctx, u.user(), &key)
		wantNoErr(t, "SetUser", err)
		c.wantStoredUser(t, u.stored())
	}},
	{"U6", "SetUser with a key inserts the key", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		key := primaryKey(u.ID)
		got, err := c.adapter.SetUser(c.ctx, u.user(), &key)
		wantNoErr(t, "SetUser", err)
		wantEqual(t, "SetUser", got, u.stored())
		c.wantStoredKey(t, key)
	}},
	{"U7", "SetUser whose key id is taken fails with ErrDuplicateKeyID", func(t *testing.T, c *caseEnv) {
		owner := c.seedUser(t)
		taken := c.seedKey(t, primaryKey(owner.ID))
		u := newFixtureUser()
		key := primaryKey(u.ID)
		key.ID = taken.ID
		_, err := c.adapter.SetUser(c.ctx, u.user(), &key)
		wantErr(t, "SetUser", err, luciapg.ErrDuplicateKeyID)
	}},
	{"U8", "a SetUser refused for its key leaves neither the user nor the key", func(t *testing.T, c *caseEnv) {
		owner := c.seedUser(t)
		taken := c.seedKey(t, primaryKey(owner.ID))
		u := newFixtureUser()
		key := primaryKey(u.ID)
		key.ID = taken.ID
		_, err := c.adapter.SetUser(c.ctx, u.user(), &key)
		wantErr(t, "SetUser", err, luciapg.ErrDuplicateKeyID)
		c.wantNoUser(t, u.ID)
		c.wantStoredKey(t, taken) // still the owner's, unchanged
	}},
	{"U9", "DeleteUser removes only that user", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		wantNoErr(t, "DeleteUser", c.adapter.DeleteUser(c.ctx, u.ID))
		c.wantNoUser(t, u.ID)
		c.wantStoredUser(t, other.stored())
	}},
	{"U10", "UpdateUserAttributes changes the row", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		_, err := c.adapter.UpdateUserAttributes(c.ctx, u.ID, map[string]any{"username": "user_new1"})
		wantNoErr(t, "UpdateUserAttributes", err)
		want := u.stored()
		want.Attributes["username"] = "user_new1"
		c.wantStoredUser(t, want)
	}},
	{"U11", "UpdateUserAttributes returns the updated row", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		got, err := c.adapter.UpdateUserAttributes(c.ctx, u.ID, map[string]any{"username": "user_new2", "plan": "pro"})
		wantNoErr(t, "UpdateUserAttributes", err)
		want := u.stored()
		want.Attributes["username"] = "user_new2"
		want.Attributes["plan"] = "pro"
		wantEqual(t, "UpdateUserAttributes", got, want)
	}},
	{"U12", "UpdateUserAttributes of an unknown user fails with ErrInvalidUserID", func(t *testing.T, c *caseEnv) {
		_, err := c.adapter.UpdateUserAttributes(c.ctx, newFixtureUser().ID, map[string]any{"username": "user_none"})
		wantErr(t, "UpdateUserAttributes", err, luciapg.ErrInvalidUserID)
	}},
	{"U13", "GetKey returns a persistent key", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, persistentKey(u.ID, true))
		got, err := c.adapter.GetKey(c.ctx, key.ID)
		wantNoErr(t, "GetKey", err)
		wantEqual(t, "GetKey", got, key)
		if got.Expires != nil || got.PrimaryKey {
			t.Fatalf("GetKey: persistent non-primary key came back as %s", describe(got))
		}
	}},
	{"U14", "GetKey returns a single-use key with its exact expiry", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, singleUseKey(u.ID))
		got, err := c.adapter.GetKey(c.ctx, key.ID)
		wantNoErr(t, "GetKey", err)
		wantEqual(t, "GetKey", got, key)
	}},
	{"U15", "GetKey of an unknown id fails with ErrInvalidKeyID", func(t *testing.T, c *caseEnv) {
		_, err := c.adapter.GetKey(c.ctx, "test:nobody@example.com")
		wantErr(t, "GetKey", err, luciapg.ErrInvalidKeyID)
	}},
}
