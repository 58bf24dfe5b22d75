package adaptertest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// extendCases cover ExtendSession, luciapg's addition to Lucia's contract
// through which the auth core renews a session without minting a new id.
var extendCases = []testCase{
	{"X1", "ExtendSession sets both expiries in place and returns the row", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		want := s
		want.ActiveExpires += 7 * time.Hour.Milliseconds()
		want.IdleExpires += 9 * time.Hour.Milliseconds()
		got, err := c.adapter.ExtendSession(c.ctx, s.ID, want.ActiveExpires, want.IdleExpires)
		wantNoErr(t, "ExtendSession", err)
		wantEqual(t, "ExtendSession", got, want)
		c.wantStoredSession(t, want)
		reread, err := c.adapter.GetSession(c.ctx, s.ID)
		wantNoErr(t, "GetSession", err)
		wantEqual(t, "GetSession after ExtendSession", reread, want)
	}},
	{"X2", "ExtendSession can shorten a session, down to an expiry in the past", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		want := s
		want.ActiveExpires, want.IdleExpires = 1, 2
		got, err := c.adapter.ExtendSession(c.ctx, s.ID, want.ActiveExpires, want.IdleExpires)
		wantNoErr(t, "ExtendSession", err)
		wantEqual(t, "ExtendSession", got, want)
		c.wantStoredSession(t, want)
	}},
	{"X3", "ExtendSession of an unknown or unstorable id fails with ErrInvalidSessionID and stores nothing", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		kept := c.seedSession(t, u.ID)
		unknown := newSession(u.ID)
		for _, id := range []string{unknown.ID, "", "nul\x00id", "bad\xffutf8"} {
			_, err := c.adapter.ExtendSession(c.ctx, id, unknown.ActiveExpires, unknown.IdleExpires)
			wantErr(t, "ExtendSession", err, luciapg.ErrInvalidSessionID)
		}
		c.wantNoSession(t, unknown.ID)
		c.wantStoredSession(t, kept)
	}},
	{"X4", "ExtendSession changes that session only, not the user's other sessions nor another user's", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		s, sibling := c.seedSession(t, u.ID), c.seedSession(t, u.ID)
		foreign := c.seedSession(t, other.ID)
		want := s
		want.ActiveExpires++
		want.IdleExpires++
		_, err := c.adapter.ExtendSession(c.ctx, s.ID, want.ActiveExpires, want.IdleExpires)
		wantNoErr(t, "ExtendSession", err)
		c.wantStoredSession(t, want)
		c.wantStoredSession(t, sibling)
		c.wantStoredSession(t, foreign)
	}},
	{"X5", "ExtendSession of a session deleted first fails with ErrInvalidSessionID and does not bring it back", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, s.ID))
		_, err := c.adapter.ExtendSession(c.ctx, s.ID, s.ActiveExpires+1, s.IdleExpires+1)
		wantErr(t, "ExtendSession", err, luciapg.ErrInvalidSessionID)
		c.wantNoSession(t, s.ID)
	}},
	{"X6", "concurrent ExtendSession calls on one session leave one caller's expiries, both columns from the same call", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		callers := c.harness.Concurrency
		var wg sync.WaitGroup
		errs := make([]error, callers)
		for i := range callers {
			// Caller i sets active to base+i and idle to base+2i: a row
			// mixing two calls' values breaks idle-active == active-base.
			wg.Go(func() {
				_, errs[i] = c.adapter.ExtendSession(c.ctx, s.ID, s.ActiveExpires+int64(i), s.ActiveExpires+2*int64(i))
			})
		}
		wg.Wait()
		for i, err := range errs {
			wantNoErr(t, fmt.Sprintf("ExtendSession by caller %d", i), err)
		}
		got, ok := readRow(t, c.ctx, c.storage.Session, "session", s.ID)
		if !ok {
			t.Fatal("session gone after concurrent ExtendSession calls")
		}
		i := got.ActiveExpires - s.ActiveExpires
		if i < 0 || i >= int64(callers) || got.IdleExpires != s.ActiveExpires+2*i || got.UserID != s.UserID {
			t.Fatalf("after concurrent ExtendSession calls the row is %+v, which no single call wrote", got)
		}
	}},
}
