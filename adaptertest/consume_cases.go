package adaptertest

import (
	"errors"
	"sync"
	"testing"

	"github.com/luciapg/luciapg"
)

// consumeCases cover ConsumeKey, luciapg's addition to Lucia's contract.
var consumeCases = []testCase{
	{"C1", "ConsumeKey deletes a single-use key and returns it", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, singleUseKey(u.ID))
		got, err := c.adapter.ConsumeKey(c.ctx, key.ID)
		wantNoErr(t, "ConsumeKey", err)
		wantEqual(t, "ConsumeKey", got, key)
		c.wantNoKey(t, key.ID)
		_, err = c.adapter.ConsumeKey(c.ctx, key.ID)
		wantErr(t, "ConsumeKey again", err, luciapg.ErrInvalidKeyID)
	}},
	{"C2", "ConsumeKey leaves a primary key alone and fails with ErrInvalidKeyID", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, primaryKey(u.ID))
		_, err := c.adapter.ConsumeKey(c.ctx, key.ID)
		wantErr(t, "ConsumeKey", err, luciapg.ErrInvalidKeyID)
		c.wantStoredKey(t, key)
		_, err = c.adapter.ConsumeKey(c.ctx, "test:nobody@example.com")
		wantErr(t, "ConsumeKey of an unknown key", err, luciapg.ErrInvalidKeyID)
	}},
	{"C3", "of concurrent ConsumeKey calls on one key, exactly one gets it", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := c.seedKey(t, singleUseKey(u.ID))
		const callers = 8
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { _, errs[i] = c.adapter.ConsumeKey(c.ctx, key.ID) })
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, luciapg.ErrInvalidKeyID):
				t.Fatalf("ConsumeKey %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d of %d concurrent ConsumeKey calls got the key, want exactly 1", winners, callers)
		}
		c.wantNoKey(t, key.ID)
	}},
}
