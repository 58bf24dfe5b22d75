package adaptertest

import (
	"testing"

	"github.com/luciapg/luciapg"
)

// keySessionCases cover SetSessionForKey, luciapg's addition through which
// a password login writes its session only while the key still holds the
// password hash the login checked.
var keySessionCases = []testCase{
	{"K1", "SetSessionForKey inserts the session while the key holds the checked hash, and leaves the hash", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		s := newSession(u.ID)
		wantNoErr(t, "SetSessionForKey", c.adapter.SetSessionForKey(c.ctx, s, k.ID, *k.HashedPassword, nil))
		c.wantStoredSession(t, s)
		c.wantStoredKey(t, k)
	}},
	{"K2", "SetSessionForKey with rehash replaces the hash and inserts the session", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		s := newSession(u.ID)
		wantNoErr(t, "SetSessionForKey", c.adapter.SetSessionForKey(c.ctx, s, k.ID, *k.HashedPassword, ptr("REHASHED")))
		c.wantStoredSession(t, s)
		k.HashedPassword = ptr("REHASHED")
		c.wantStoredKey(t, k)
	}},
	{"K3", "SetSessionForKey writes nothing and fails with ErrKeyChanged when the hash changed, went, or the key went", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		changed := c.seedKey(t, persistentKey(u.ID, true))
		changed.HashedPassword = ptr("NEW HASH")
		_, err := c.adapter.UpdateKeyPassword(c.ctx, changed.ID, changed.HashedPassword)
		wantNoErr(t, "UpdateKeyPassword", err)
		s := newSession(u.ID)
		wantErr(t, "SetSessionForKey after a change", c.adapter.SetSessionForKey(c.ctx, s, changed.ID, "HASHED", ptr("REHASHED")), luciapg.ErrKeyChanged)
		c.wantStoredKey(t, changed)
		_, err = c.adapter.UpdateKeyPassword(c.ctx, changed.ID, nil)
		wantNoErr(t, "UpdateKeyPassword", err)
		wantErr(t, "SetSessionForKey after the password was removed", c.adapter.SetSessionForKey(c.ctx, s, changed.ID, "NEW HASH", nil), luciapg.ErrKeyChanged)
		wantErr(t, "SetSessionForKey with an unknown key", c.adapter.SetSessionForKey(c.ctx, s, "test:nobody", "HASHED", nil), luciapg.ErrKeyChanged)
		wantErr(t, "SetSessionForKey with an unstorable key id", c.adapter.SetSessionForKey(c.ctx, s, "nul\x00id", "HASHED", nil), luciapg.ErrKeyChanged)
		c.wantNoSession(t, s.ID)
	}},
	{"K4", "SetSessionForKey refuses a session for another user than the key's, and a taken session id", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		foreign := newSession(other.ID)
		wantErr(t, "SetSessionForKey for another user", c.adapter.SetSessionForKey(c.ctx, foreign, k.ID, *k.HashedPassword, ptr("REHASHED")), luciapg.ErrInvalidInput)
		c.wantNoSession(t, foreign.ID)
		c.wantStoredKey(t, k)
		taken := c.seedSession(t, u.ID)
		wantErr(t, "SetSessionForKey with a taken id", c.adapter.SetSessionForKey(c.ctx, taken, k.ID, *k.HashedPassword, ptr("REHASHED")), luciapg.ErrDuplicateSessionID)
		c.wantStoredKey(t, k)
	}},
}
