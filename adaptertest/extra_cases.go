package adaptertest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// wantDuplicateAttribute fails unless err is ErrDuplicateAttribute for
// column, as an *luciapg.Error whose text does not hold value.
func wantDuplicateAttribute(t *testing.T, op string, err error, column, value string) {
	t.Helper()
	var e *luciapg.Error
	if !errors.Is(err, luciapg.ErrDuplicateAttribute) || !errors.As(err, &e) || e.Column() != column {
		t.Fatalf("%s: got %v, want ErrDuplicateAttribute naming the column %s", op, err, column)
	}
	if strings.Contains(err.Error(), value) {
		t.Fatalf("%s: the error %q holds the value", op, err)
	}
}

// extraCases are the cases Lucia's reference suite never checked.
var extraCases = []testCase{
	{"E1", "deletes of unknown ids are no-ops and touch nothing else", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		k := c.seedKey(t, persistentKey(u.ID, true))
		unknown := newFixtureUser().ID
		wantNoErr(t, "DeleteUser", c.adapter.DeleteUser(c.ctx, unknown))
		wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, newSession(unknown).ID))
		wantNoErr(t, "DeleteSessionsByUserID", c.adapter.DeleteSessionsByUserID(c.ctx, unknown))
		wantNoErr(t, "DeleteNonPrimaryKey", c.adapter.DeleteNonPrimaryKey(c.ctx, "test:"+unknown))
		wantNoErr(t, "DeleteKeysByUserID", c.adapter.DeleteKeysByUserID(c.ctx, unknown))
		c.wantStoredUser(t, u.stored())
		c.wantStoredSession(t, s)
		c.wantStoredKey(t, k)
	}},
	{"E2", "SetUser with a taken user id fails with ErrDuplicateUserID and adds no key", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		again := newFixtureUser()
		again.ID = u.ID
		_, err := c.adapter.SetUser(c.ctx, again.user(), nil)
		wantErr(t, "SetUser", err, luciapg.ErrDuplicateUserID)
		key := persistentKey(u.ID, true)
		key.ID = "email:" + again.Username
		_, err = c.adapter.SetUser(c.ctx, again.user(), &key)
		wantErr(t, "SetUser with key", err, luciapg.ErrDuplicateUserID)
		c.wantStoredUser(t, u.stored())
		c.wantNoKey(t, key.ID)
	}},
	{"E3", "expiries beyond 2^31 and 2^53 milliseconds round-trip exactly", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		for i, ms := range []int64{1<<31 + 1, 1<<53 + 1, math.MaxInt64, -1 << 40} {
			s := newSession(u.ID)
			s.ActiveExpires, s.IdleExpires = ms, ms-1
			wantNoErr(t, "SetSession", c.adapter.SetSession(c.ctx, s))
			c.wantStoredSession(t, s)
			got, err := c.adapter.GetSession(c.ctx, s.ID)
			wantNoErr(t, "GetSession", err)
			wantEqual(t, "GetSession", got, s)

			key := singleUseKey(u.ID)
			key.ID = fmt.Sprintf("expiry%d:%s", i, u.ID)
			key.Expires = ptr(ms)
			wantNoErr(t, "SetKey", c.adapter.SetKey(c.ctx, key))
			gotKey, err := c.adapter.GetKey(c.ctx, key.ID)
			wantNoErr(t, "GetKey", err)
			wantEqual(t, "GetKey", gotKey, key)
		}
	}},
	{"E4", "attribute columns keep their defaults and NULLs", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		got, err := c.adapter.SetUser(c.ctx, u.user(), nil)
		wantNoErr(t, "SetUser", err)
		wantEqual(t, "SetUser (defaults filled in)", got, u.stored())

		set := luciapg.User{ID: newFixtureUser().ID, Attributes: map[string]any{"plan": "team", "nickname": "Ada", "username": nil}}
		got, err = c.adapter.SetUser(c.ctx, set, nil)
		wantNoErr(t, "SetUser", err)
		wantEqual(t, "SetUser (explicit values)", got, set)
		c.wantStoredUser(t, set)

		got, err = c.adapter.UpdateUserAttributes(c.ctx, set.ID, map[string]any{"nickname": nil})
		wantNoErr(t, "UpdateUserAttributes", err)
		set.Attributes["nickname"] = nil
		wantEqual(t, "UpdateUserAttributes (NULL)", got, set)
		c.wantStoredUser(t, set)
	}},
	{"E5", "UpdateUserAttributes with an empty or nil map returns the row unchanged", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		for _, attrs := range []map[string]any{{}, nil} {
			got, err := c.adapter.UpdateUserAttributes(c.ctx, u.ID, attrs)
			wantNoErr(t, "UpdateUserAttributes", err)
			wantEqual(t, "UpdateUserAttributes", got, u.stored())
		}
		c.wantStoredUser(t, u.stored())
		_, err := c.adapter.UpdateUserAttributes(c.ctx, newFixtureUser().ID, map[string]any{})
		wantErr(t, "UpdateUserAttributes of an unknown user", err, luciapg.ErrInvalidUserID)
	}},
	{"E6", "key ids with several colons are stored and found whole", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		key := persistentKey(u.ID, false)
		key.ID = "oidc:https://issuer.example.com:8443:" + u.ID
		wantNoErr(t, "SetKey", c.adapter.SetKey(c.ctx, key))
		got, err := c.adapter.GetKey(c.ctx, key.ID)
		wantNoErr(t, "GetKey", err)
		wantEqual(t, "GetKey", got, key)
		_, err = c.adapter.GetKey(c.ctx, "oidc:https")
		wantErr(t, "GetKey of a prefix", err, luciapg.ErrInvalidKeyID)
	}},
	{"E7", "many concurrent SetUser-with-key calls, half on taken key ids, all finish", concurrentSetUser},
	{"E8", "DeleteUser removes the user's sessions and keys and nothing else", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		s1, s2 := c.seedSession(t, u.ID), c.seedSession(t, u.ID)
		k1 := c.seedKey(t, primaryKey(u.ID))
		k2 := persistentKey(u.ID, false)
		k2.ID = "github:" + u.ID
		c.seedKey(t, k2)
		otherSession := c.seedSession(t, other.ID)
		otherKey := c.seedKey(t, primaryKey(other.ID))
		wantNoErr(t, "DeleteUser", c.adapter.DeleteUser(c.ctx, u.ID))
		c.wantNoUser(t, u.ID)
		c.wantNoSession(t, s1.ID)
		c.wantNoSession(t, s2.ID)
		c.wantNoKey(t, k1.ID)
		c.wantNoKey(t, k2.ID)
		c.wantStoredUser(t, other.stored())
		c.wantStoredSession(t, otherSession)
		c.wantStoredKey(t, otherKey)
	}},
	{"E9", "a taken UNIQUE attribute fails with ErrDuplicateAttribute naming the column, not the value, and writes nothing", func(t *testing.T, c *caseEnv) {
		taken := c.seedUser(t)
		u := newFixtureUser()
		u.Username = taken.Username // username is UNIQUE
		key := primaryKey(u.ID)
		_, err := c.adapter.SetUser(c.ctx, u.user(), &key)
		wantDuplicateAttribute(t, "SetUser with a taken username", err, "username", taken.Username)
		c.wantNoUser(t, u.ID)
		c.wantNoKey(t, key.ID)

		other := c.seedUser(t)
		_, err = c.adapter.UpdateUserAttributes(c.ctx, other.ID, map[string]any{"username": taken.Username, "nickname": "changed"})
		wantDuplicateAttribute(t, "UpdateUserAttributes to a taken username", err, "username", taken.Username)
		c.wantStoredUser(t, other.stored())
	}},
	{"E10", "GetSessionAndUser finds a session SetSession stored, and not once it is deleted", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := newSession(u.ID)
		wantNoErr(t, "SetSession", c.adapter.SetSession(c.ctx, s))
		gotSession, gotUser, err := c.adapter.GetSessionAndUser(c.ctx, s.ID)
		wantNoErr(t, "GetSessionAndUser", err)
		wantEqual(t, "session", gotSession, s)
		wantEqual(t, "user", gotUser, u.stored())
		wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, s.ID))
		_, _, err = c.adapter.GetSessionAndUser(c.ctx, s.ID)
		wantErr(t, "GetSessionAndUser after DeleteSession", err, luciapg.ErrInvalidSessionID)
	}},
}

// concurrentSetUser makes Harness.Concurrency SetUser-with-key calls at once,
// two per key id, so half must fail with ErrDuplicateKeyID. The reference
// adapter leaked a pooled connection per call and hung here.
func concurrentSetUser(t *testing.T, c *caseEnv) {
	n := c.harness.Concurrency
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
	defer cancel()
	users := make([]fixtureUser, n)
	errs := make([]error, n)
	keyID := func(i int) string { return fmt.Sprintf("race:%d", i/2) }
	var wg sync.WaitGroup
	for i := range n {
		users[i] = newFixtureUser()
		wg.Go(func() {
			key := primaryKey(users[i].ID)
			key.ID = keyID(i)
			_, errs[i] = c.adapter.SetUser(ctx, users[i].user(), &key)
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		t.Fatalf("%d concurrent SetUser calls did not finish: %v", n, ctx.Err())
	}
	for pair := 0; pair < n/2; pair++ {
		a, b := 2*pair, 2*pair+1
		winners := 0
		for _, i := range []int{a, b} {
			switch {
			case errs[i] == nil:
				winners++
				key := primaryKey(users[i].ID)
				key.ID = keyID(i)
				c.wantStoredUser(t, users[i].stored())
				c.wantStoredKey(t, key)
			case errors.Is(errs[i], luciapg.ErrDuplicateKeyID):
				c.wantNoUser(t, users[i].ID)
			default:
				t.Fatalf("SetUser %d: %v", i, errs[i])
			}
		}
		if winners != 1 {
			t.Fatalf("key id %s: %d SetUser calls succeeded, want exactly 1", keyID(a), winners)
		}
	}
	// The adapter still serves requests afterwards.
	u := newFixtureUser()
	_, err := c.adapter.SetUser(c.ctx, u.user(), nil)
	wantNoErr(t, "SetUser after the burst", err)
}

func sortedKeys(keys []luciapg.Key) []luciapg.Key {
	return slices.SortedFunc(slices.Values(keys), func(a, b luciapg.Key) int { return cmp.Compare(a.ID, b.ID) })
}

func sortedSessions(sessions []luciapg.Session) []luciapg.Session {
	return slices.SortedFunc(slices.Values(sessions), func(a, b luciapg.Session) int { return cmp.Compare(a.ID, b.ID) })
}
