package adaptertest

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
)

// deviceCases cover luciapg.DeviceAdapter and the session origin a
// session insert honours (luciapg.WithSessionOrigin).
var deviceCases = []testCase{
	{"D1", "a session inserted with an origin, by SetSession, SetSessionForKey or CompletePendingLogin, lists with its metadata, newest first; one inserted without lists last, without", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		key := c.seedKey(t, persistentKey(u.ID, true))
		first, second, third := newOrigin(d0), newOrigin(d0.Add(time.Minute)), newOrigin(d0.Add(2*time.Minute))

		bySetSession := c.sessionWithOrigin(t, u.ID, first)
		byKey := newSession(u.ID)
		wantNoErr(t, "SetSessionForKey with an origin", c.adapter.SetSessionForKey(luciapg.WithSessionOrigin(c.ctx, third), byKey, key.ID, "HASHED", nil))
		pending := newPendingLogin(u.ID, nil, time.Now().Add(time.Hour))
		wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, pending))
		byCompletion := newSession(u.ID)
		record := sessionFactors(byCompletion, d0, luciapg.FactorOAuth, luciapg.FactorTOTP)
		wantNoErr(t, "CompletePendingLogin with an origin", f.CompletePendingLogin(luciapg.WithSessionOrigin(c.ctx, second), pending.ID, time.Now(), byCompletion, record))
		withoutOrigin := newSession(u.ID)
		wantNoErr(t, "SetSession without an origin", c.adapter.SetSession(c.ctx, withoutOrigin))
		byLuciaApp := c.seedSession(t, u.ID)
		c.sessionWithOrigin(t, other.ID, newOrigin(d0.Add(time.Hour)))

		list := c.sessionsMetadata(t, u.ID)
		if len(list) != 5 {
			t.Fatalf("GetUserSessionsMetadata: %d sessions, want the user's 5: %+v", len(list), list)
		}
		wantMetadata(t, "the newest session (SetSessionForKey)", list[0], byKey, &third, time.Time{}, nil)
		wantMetadata(t, "the second newest (CompletePendingLogin)", list[1], byCompletion, &second, time.Time{}, record.Factors)
		wantMetadata(t, "the oldest with metadata (SetSession)", list[2], bySetSession, &first, time.Time{}, nil)
		// The two without metadata come last, in an order the contract
		// leaves open.
		if list[3].Session.ID == byLuciaApp.ID {
			list[3], list[4] = list[4], list[3]
		}
		wantMetadata(t, "a session inserted without an origin", list[3], withoutOrigin, nil, time.Time{}, nil)
		wantMetadata(t, "a session a Lucia v1 app inserted", list[4], byLuciaApp, nil, time.Time{}, nil)
	}},
	{"D2", "GetUserSessionsMetadata of an unknown user is ErrInvalidUserID, of a user without sessions an empty list", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		_, err := c.devices(t).GetUserSessionsMetadata(c.ctx, newFixtureUser().ID)
		wantErr(t, "GetUserSessionsMetadata of an unknown user", err, luciapg.ErrInvalidUserID)
		list := c.sessionsMetadata(t, u.ID)
		if list == nil || len(list) != 0 {
			t.Fatalf("GetUserSessionsMetadata of a user without sessions: %#v, want an empty slice", list)
		}
	}},
	{"D3", "a user agent over MaxUserAgentBytes is cut to it, at a character boundary, one of exactly that length kept, and one text cannot hold made storable", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		exact := newOrigin(d0)
		exact.UserAgent = strings.Repeat("a", luciapg.MaxUserAgentBytes)
		long := newOrigin(d0)
		// A two-byte "é" straddles the limit: cutting at the limit would
		// split it, so the cut falls before it.
		long.UserAgent = strings.Repeat("b", luciapg.MaxUserAgentBytes-1) + "é and more"
		exactSession, longSession := c.sessionWithOrigin(t, u.ID, exact), c.sessionWithOrigin(t, u.ID, long)
		wantMetadata(t, "a user agent of exactly MaxUserAgentBytes", c.metadataOf(t, u.ID, exactSession.ID), exactSession, &exact, time.Time{}, nil)
		cut := long
		cut.UserAgent = strings.Repeat("b", luciapg.MaxUserAgentBytes-1)
		wantMetadata(t, "a user agent over MaxUserAgentBytes", c.metadataOf(t, u.ID, longSession.ID), longSession, &cut, time.Time{}, nil)

		// A header is whatever the client sent: bytes text cannot hold
		// are made storable, and the sign-in is not refused.
		hostile := newOrigin(d0)
		hostile.UserAgent = "Mozilla/5.0 \xff\xfe\x00(X11)"
		hostileSession := c.sessionWithOrigin(t, u.ID, hostile)
		got := c.metadataOf(t, u.ID, hostileSession.ID).UserAgent
		if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 || !strings.HasPrefix(got, "Mozilla/5.0 ") || !strings.HasSuffix(got, "(X11)") {
			t.Fatalf("a user agent with invalid UTF-8 and a NUL byte was kept as %q, want valid UTF-8 without NUL, the rest as sent", got)
		}
	}},
	{"D4", "SetSessionFactors keeps the session's metadata; before it, GetSessionFactors reports no record", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		origin := newOrigin(d0)
		s := c.sessionWithOrigin(t, u.ID, origin)
		wantNoRecord(t, c, s)
		record := sessionFactors(s, d0.Add(time.Second), luciapg.FactorPassword)
		wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, record))
		got, _, err := f.GetSessionFactors(c.ctx, s.ID)
		wantNoErr(t, "GetSessionFactors", err)
		wantSessionFactors(t, "GetSessionFactors after SetSessionFactors", got, record)
		wantMetadata(t, "the session after SetSessionFactors", c.metadataOf(t, u.ID, s.ID), s, &origin, time.Time{}, record.Factors)

		// A record without metadata stays without it.
		plain := c.seedSession(t, u.ID)
		wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, sessionFactors(plain, d0, luciapg.FactorPassword)))
		wantMetadata(t, "a session with a factor record and no origin", c.metadataOf(t, u.ID, plain.ID), plain, nil, time.Time{}, []string{luciapg.FactorPassword})
	}},
	{"D5", "DeleteUserSession deletes the user's own session only: another user's session or an unknown id is ErrInvalidSessionID and deletes nothing", func(t *testing.T, c *caseEnv) {
		d := c.devices(t)
		alice, bob := c.seedUser(t), c.seedUser(t)
		aliceSession := c.sessionWithOrigin(t, alice.ID, newOrigin(d0))
		bobOrigin := newOrigin(d0)
		bobSession := c.sessionWithOrigin(t, bob.ID, bobOrigin)

		// Alice names Bob's session as if it were hers.
		wantErr(t, "DeleteUserSession of another user's session", d.DeleteUserSession(c.ctx, alice.ID, bobSession.ID), luciapg.ErrInvalidSessionID)
		c.wantStoredSession(t, bobSession)
		wantMetadata(t, "the other user's session", c.metadataOf(t, bob.ID, bobSession.ID), bobSession, &bobOrigin, time.Time{}, nil)
		wantErr(t, "DeleteUserSession of an unknown session", d.DeleteUserSession(c.ctx, alice.ID, newSession(alice.ID).ID), luciapg.ErrInvalidSessionID)
		wantErr(t, "DeleteUserSession for an unknown user", d.DeleteUserSession(c.ctx, newFixtureUser().ID, bobSession.ID), luciapg.ErrInvalidSessionID)
		c.wantStoredSession(t, aliceSession)
		c.wantStoredSession(t, bobSession)

		wantNoErr(t, "DeleteUserSession of the user's own session", d.DeleteUserSession(c.ctx, alice.ID, aliceSession.ID))
		c.wantNoSession(t, aliceSession.ID)
		if list := c.sessionsMetadata(t, alice.ID); len(list) != 0 {
			t.Fatalf("GetUserSessionsMetadata after DeleteUserSession: %+v, want none", list)
		}
		wantErr(t, "DeleteUserSession of a deleted session", d.DeleteUserSession(c.ctx, alice.ID, aliceSession.ID), luciapg.ErrInvalidSessionID)
		c.wantStoredSession(t, bobSession)
	}},
	{"D6", "DeleteOtherUserSessions deletes every other session of the user, with or without metadata, keeps the given one and other users', and counts", func(t *testing.T, c *caseEnv) {
		d := c.devices(t)
		u, other := c.seedUser(t), c.seedUser(t)
		keptOrigin := newOrigin(d0)
		kept := c.sessionWithOrigin(t, u.ID, keptOrigin)
		withMetadata := c.sessionWithOrigin(t, u.ID, newOrigin(d0))
		byLuciaApp := c.seedSession(t, u.ID)
		otherSession := c.seedSession(t, other.ID)

		n, err := d.DeleteOtherUserSessions(c.ctx, u.ID, kept.ID)
		wantNoErr(t, "DeleteOtherUserSessions", err)
		wantEqual(t, "DeleteOtherUserSessions' count", n, int64(2))
		c.wantNoSession(t, withMetadata.ID)
		c.wantNoSession(t, byLuciaApp.ID)
		c.wantStoredSession(t, kept)
		c.wantStoredSession(t, otherSession)
		list := c.sessionsMetadata(t, u.ID)
		if len(list) != 1 {
			t.Fatalf("GetUserSessionsMetadata after DeleteOtherUserSessions: %+v, want the kept session alone", list)
		}
		wantMetadata(t, "the kept session", list[0], kept, &keptOrigin, time.Time{}, nil)

		n, err = d.DeleteOtherUserSessions(c.ctx, u.ID, kept.ID)
		wantNoErr(t, "DeleteOtherUserSessions again", err)
		wantEqual(t, "DeleteOtherUserSessions' count with nothing else to delete", n, int64(0))

		// Keeping another user's session keeps none of this user's, and
		// deletes nothing of the other's.
		n, err = d.DeleteOtherUserSessions(c.ctx, u.ID, otherSession.ID)
		wantNoErr(t, "DeleteOtherUserSessions keeping another user's session", err)
		wantEqual(t, "DeleteOtherUserSessions' count keeping another user's session", n, int64(1))
		c.wantNoSession(t, kept.ID)
		c.wantStoredSession(t, otherSession)
	}},
	{"D7", "RecordSessionsSeen moves LastSeenAt only later, takes a batch's latest use of a session, and skips sessions without metadata or gone", func(t *testing.T, c *caseEnv) {
		d, f := c.devices(t), c.factorAdapter(t)
		u := c.seedUser(t)
		origin, otherOrigin := newOrigin(d0), newOrigin(d0)
		s, other := c.sessionWithOrigin(t, u.ID, origin), c.sessionWithOrigin(t, u.ID, otherOrigin)
		plain := c.seedSession(t, u.ID)
		withRecordOnly := c.seedSession(t, u.ID)
		wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, sessionFactors(withRecordOnly, d0, luciapg.FactorPassword)))
		gone := c.sessionWithOrigin(t, u.ID, newOrigin(d0))
		wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, gone.ID))

		at := func(d time.Duration) time.Time { return d0.Add(d) }
		wantNoErr(t, "RecordSessionsSeen", d.RecordSessionsSeen(c.ctx, []luciapg.SessionSeen{
			{SessionID: s.ID, At: at(time.Minute)},
			{SessionID: plain.ID, At: at(time.Minute)},
			{SessionID: withRecordOnly.ID, At: at(time.Minute)},
			{SessionID: gone.ID, At: at(time.Minute)},
			{SessionID: newSession(u.ID).ID, At: at(time.Minute)},
		}))
		wantMetadata(t, "a session seen", c.metadataOf(t, u.ID, s.ID), s, &origin, at(time.Minute), nil)
		wantMetadata(t, "a session not in the batch", c.metadataOf(t, u.ID, other.ID), other, &otherOrigin, time.Time{}, nil)
		wantMetadata(t, "a session without metadata", c.metadataOf(t, u.ID, plain.ID), plain, nil, time.Time{}, nil)
		wantMetadata(t, "a session with a factor record and no metadata", c.metadataOf(t, u.ID, withRecordOnly.ID), withRecordOnly, nil, time.Time{}, []string{luciapg.FactorPassword})
		if list := c.sessionsMetadata(t, u.ID); len(list) != 4 {
			t.Fatalf("RecordSessionsSeen of a gone session brought it back: %+v", list)
		}

		wantNoErr(t, "RecordSessionsSeen of an earlier use", d.RecordSessionsSeen(c.ctx, []luciapg.SessionSeen{{SessionID: s.ID, At: at(30 * time.Second)}}))
		wantMetadata(t, "a session seen earlier than recorded", c.metadataOf(t, u.ID, s.ID), s, &origin, at(time.Minute), nil)
		wantNoErr(t, "RecordSessionsSeen of two uses of one session", d.RecordSessionsSeen(c.ctx, []luciapg.SessionSeen{
			{SessionID: s.ID, At: at(5 * time.Minute)},
			{SessionID: other.ID, At: at(2 * time.Minute)},
			{SessionID: s.ID, At: at(3 * time.Minute)},
		}))
		wantMetadata(t, "a session seen twice in a batch", c.metadataOf(t, u.ID, s.ID), s, &origin, at(5*time.Minute), nil)
		wantMetadata(t, "a session seen once in a batch", c.metadataOf(t, u.ID, other.ID), other, &otherOrigin, at(2*time.Minute), nil)
		wantNoErr(t, "RecordSessionsSeen of no uses", d.RecordSessionsSeen(c.ctx, nil))
	}},
	{"D8", "a session's metadata goes with the session, by DeleteSession, DeleteSessionsByUserID or DeleteUser", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		deletes := map[string]func(s luciapg.Session) error{
			"DeleteSession":          func(s luciapg.Session) error { return c.adapter.DeleteSession(c.ctx, s.ID) },
			"DeleteSessionsByUserID": func(s luciapg.Session) error { return c.adapter.DeleteSessionsByUserID(c.ctx, s.UserID) },
		}
		for name, del := range deletes {
			s := c.sessionWithOrigin(t, u.ID, newOrigin(d0))
			wantNoErr(t, name, del(s))
			// The same id again, without an origin: no metadata is left
			// over from the deleted session.
			wantNoErr(t, "SetSession of the id again", c.adapter.SetSession(c.ctx, s))
			wantMetadata(t, "a session inserted again after "+name, c.metadataOf(t, u.ID, s.ID), s, nil, time.Time{}, nil)
			wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, s.ID))
		}

		s := c.sessionWithOrigin(t, u.ID, newOrigin(d0))
		wantNoErr(t, "DeleteUser", c.adapter.DeleteUser(c.ctx, u.ID))
		_, err := c.devices(t).GetUserSessionsMetadata(c.ctx, u.ID)
		wantErr(t, "GetUserSessionsMetadata of a deleted user", err, luciapg.ErrInvalidUserID)
		if err := c.storage.InsertUser(c.ctx, u.ID, u.Username); err != nil {
			t.Fatalf("seeding the user again: %v", err)
		}
		wantNoErr(t, "SetSession of the id again", c.adapter.SetSession(c.ctx, s))
		wantMetadata(t, "a session inserted again after DeleteUser", c.metadataOf(t, u.ID, s.ID), s, nil, time.Time{}, nil)
	}},
}
