package adaptertest

import (
	"testing"

	"github.com/luciapg/luciapg"
)

// setKeyCase checks that SetKey stores the key made by makeKey as it is.
func setKeyCase(makeKey func(userID string) luciapg.Key) func(t *testing.T, c *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := makeKey(u.ID)
		wantNoErr(t, "SetKey", c.adapter.SetKey(c.ctx, key))
		c.wantStoredKey(t, key)
	}
}

var keyCases = []testCase{
	{"U16", "SetKey stores a persistent key with a password", setKeyCase(func(id string) luciapg.Key { return persistentKey(id, true) })},
	{"U17", "SetKey stores a persistent key without a password", setKeyCase(func(id string) luciapg.Key { return persistentKey(id, false) })},
	{"U18", "SetKey stores a single-use key without a password", setKeyCase(singleUseKey)},
	{"U19", "SetKey stores a primary key", setKeyCase(primaryKey)},
	{"U20", "SetKey for an unknown user fails with ErrInvalidUserID", func(t *testing.T, c *caseEnv) {
		key := persistentKey(newFixtureUser().ID, true)
		wantErr(t, "SetKey", c.adapter.SetKey(c.ctx, key), luciapg.ErrInvalidUserID)
		c.wantNoKey(t, key.ID)
	}},
	{"U21", "SetKey twice fails with ErrDuplicateKeyID", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := persistentKey(u.ID, true)
		wantNoErr(t, "SetKey", c.adapter.SetKey(c.ctx, key))
		second := key
		second.HashedPassword = ptr("OTHER")
		wantErr(t, "SetKey again", c.adapter.SetKey(c.ctx, second), luciapg.ErrDuplicateKeyID)
		c.wantStoredKey(t, key)
	}},
	{"U22", "GetKeysByUserID returns that user's keys and no other's", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		k1 := c.seedKey(t, primaryKey(u.ID))
		k2 := persistentKey(u.ID, false)
		k2.ID = "github:" + u.ID
		c.seedKey(t, k2)
		c.seedKey(t, primaryKey(other.ID))
		got, err := c.adapter.GetKeysByUserID(c.ctx, u.ID)
		wantNoErr(t, "GetKeysByUserID", err)
		wantEqual(t, "GetKeysByUserID", sortedKeys(got), sortedKeys([]luciapg.Key{k1, k2}))
	}},
	{"U23", "GetKeysByUserID of an unknown user returns no keys", func(t *testing.T, c *caseEnv) {
		got, err := c.adapter.GetKeysByUserID(c.ctx, newFixtureUser().ID)
		wantNoErr(t, "GetKeysByUserID", err)
		if got == nil || len(got) != 0 {
			t.Fatalf("GetKeysByUserID: got %s, want an empty, non-nil slice", describe(got))
		}
	}},
	{"U24", "UpdateKeyPassword changes the stored hash", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, persistentKey(u.ID, true))
		_, err := c.adapter.UpdateKeyPassword(c.ctx, key.ID, ptr("NEW_HASH"))
		wantNoErr(t, "UpdateKeyPassword", err)
		key.HashedPassword = ptr("NEW_HASH")
		c.wantStoredKey(t, key)
	}},
	{"U25", "UpdateKeyPassword returns the key, and nil clears the hash", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, persistentKey(u.ID, true))
		got, err := c.adapter.UpdateKeyPassword(c.ctx, key.ID, ptr("NEW_HASH"))
		wantNoErr(t, "UpdateKeyPassword", err)
		key.HashedPassword = ptr("NEW_HASH")
		wantEqual(t, "UpdateKeyPassword", got, key)
		got, err = c.adapter.UpdateKeyPassword(c.ctx, key.ID, nil)
		wantNoErr(t, "UpdateKeyPassword(nil)", err)
		key.HashedPassword = nil
		wantEqual(t, "UpdateKeyPassword(nil)", got, key)
		c.wantStoredKey(t, key)
	}},
	{"U26", "UpdateKeyPassword of an unknown key fails with ErrInvalidKeyID", func(t *testing.T, c *caseEnv) {
		_, err := c.adapter.UpdateKeyPassword(c.ctx, "test:nobody@example.com", ptr("HASHED"))
		wantErr(t, "UpdateKeyPassword", err, luciapg.ErrInvalidKeyID)
	}},
	{"U27", "DeleteNonPrimaryKey removes only that key", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		doomed := c.seedKey(t, persistentKey(u.ID, true))
		kept := persistentKey(u.ID, false)
		kept.ID = "github:" + u.ID
		c.seedKey(t, kept)
		wantNoErr(t, "DeleteNonPrimaryKey", c.adapter.DeleteNonPrimaryKey(c.ctx, doomed.ID))
		c.wantNoKey(t, doomed.ID)
		c.wantStoredKey(t, kept)
	}},
	{"U28", "DeleteNonPrimaryKey leaves a primary key alone", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, primaryKey(u.ID))
		wantNoErr(t, "DeleteNonPrimaryKey", c.adapter.DeleteNonPrimaryKey(c.ctx, key.ID))
		c.wantStoredKey(t, key)
	}},
	{"U29", "DeleteKeysByUserID removes only that user's keys", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		doomed := c.seedKey(t, persistentKey(u.ID, true))
		kept := c.seedKey(t, persistentKey(other.ID, true))
		wantNoErr(t, "DeleteKeysByUserID", c.adapter.DeleteKeysByUserID(c.ctx, u.ID))
		c.wantNoKey(t, doomed.ID)
		c.wantStoredKey(t, kept)
	}},
	{"U30", "DeleteKeysByUserID removes primary keys too", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		primary := c.seedKey(t, primaryKey(u.ID))
		wantNoErr(t, "DeleteKeysByUserID", c.adapter.DeleteKeysByUserID(c.ctx, u.ID))
		c.wantNoKey(t, primary.ID)
	}},
}
