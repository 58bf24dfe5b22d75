package adaptertest

import (
	"testing"

	"github.com/luciapg/luciapg"
)

var sessionCases = []testCase{
	{"S1", "GetSession returns the session", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		got, err := c.adapter.GetSession(c.ctx, s.ID)
		wantNoErr(t, "GetSession", err)
		wantEqual(t, "GetSession", got, s)
	}},
	{"S2", "GetSession of an unknown id fails with ErrInvalidSessionID", func(t *testing.T, c *caseEnv) {
		_, err := c.adapter.GetSession(c.ctx, newSession("nobody").ID)
		wantErr(t, "GetSession", err, luciapg.ErrInvalidSessionID)
	}},
	{"S3", "GetSessionsByUserID returns that user's sessions and no other's", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		s1, s2 := c.seedSession(t, u.ID), c.seedSession(t, u.ID)
		c.seedSession(t, other.ID)
		got, err := c.adapter.GetSessionsByUserID(c.ctx, u.ID)
		wantNoErr(t, "GetSessionsByUserID", err)
		wantEqual(t, "GetSessionsByUserID", sortedSessions(got), sortedSessions([]luciapg.Session{s1, s2}))
	}},
	{"S4", "GetSessionsByUserID of an unknown user returns no sessions", func(t *testing.T, c *caseEnv) {
		got, err := c.adapter.GetSessionsByUserID(c.ctx, newFixtureUser().ID)
		wantNoErr(t, "GetSessionsByUserID", err)
		if got == nil || len(got) != 0 {
			t.Fatalf("GetSessionsByUserID: got %+v, want an empty, non-nil slice", got)
		}
	}},
	{"S5", "SetSession inserts the session", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := newSession(u.ID)
		wantNoErr(t, "SetSession", c.adapter.SetSession(c.ctx, s))
		c.wantStoredSession(t, s)
	}},
	{"S6", "DeleteSessionsByUserID removes only that user's sessions", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		s1, s2 := c.seedSession(t, u.ID), c.seedSession(t, u.ID)
		kept := c.seedSession(t, other.ID)
		wantNoErr(t, "DeleteSessionsByUserID", c.adapter.DeleteSessionsByUserID(c.ctx, u.ID))
		c.wantNoSession(t, s1.ID)
		c.wantNoSession(t, s2.ID)
		c.wantStoredSession(t, kept)
	}},
	{"S7", "DeleteSession removes only that session", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		doomed, kept := c.seedSession(t, u.ID), c.seedSession(t, u.ID)
		wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, doomed.ID))
		c.wantNoSession(t, doomed.ID)
		c.wantStoredSession(t, kept)
	}},
	{"S8", "SetSession for an unknown user fails with ErrInvalidUserID", func(t *testing.T, c *caseEnv) {
		s := newSession(newFixtureUser().ID)
		wantErr(t, "SetSession", c.adapter.SetSession(c.ctx, s), luciapg.ErrInvalidUserID)
		c.wantNoSession(t, s.ID)
	}},
	{"S9", "SetSession with a taken id fails with ErrDuplicateSessionID", func(t *testing.T, c *caseEnv) {
		u, other := c.seedUser(t), c.seedUser(t)
		s := c.seedSession(t, u.ID)
		dup := newSession(other.ID)
		dup.ID = s.ID
		wantErr(t, "SetSession", c.adapter.SetSession(c.ctx, dup), luciapg.ErrDuplicateSessionID)
		c.wantStoredSession(t, s)
	}},
}

var joinCases = []testCase{
	{"O1", "GetSessionAndUser returns the session with its user and attributes", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		gotSession, gotUser, err := c.adapter.GetSessionAndUser(c.ctx, s.ID)
		wantNoErr(t, "GetSessionAndUser", err)
		wantEqual(t, "GetSessionAndUser session", gotSession, s)
		wantEqual(t, "GetSessionAndUser user", gotUser, u.stored())
	}},
	{"O2", "GetSessionAndUser of an unknown session fails with ErrInvalidSessionID", func(t *testing.T, c *caseEnv) {
		_, _, err := c.adapter.GetSessionAndUser(c.ctx, newSession("nobody").ID)
		wantErr(t, "GetSessionAndUser", err, luciapg.ErrInvalidSessionID)
	}},
}
