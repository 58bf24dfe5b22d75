package adaptertest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// auditCases cover luciapg.AuditAdapter and the audit event a write
// honours (luciapg.WithAuditEvent).
var auditCases = []testCase{
	{"A1", "a write made with an audit event records it when it succeeds, and not when it fails", func(t *testing.T, c *caseEnv) {
		u, other := newFixtureUser(), c.seedUser(t)
		otherSession := c.seedSession(t, other.ID)
		signUp := newAuditEvent(luciapg.AuditSignUp, u.ID, d0)
		_, err := c.adapter.SetUser(luciapg.WithAuditEvent(c.ctx, signUp), u.user(), ptr(persistentKey(u.ID, true)))
		wantNoErr(t, "SetUser with an event", err)
		wantAuditEvents(t, "the user's events after SetUser", c.userAuditEvents(t, u.ID), []luciapg.AuditEvent{signUp})

		login := newAuditEvent(luciapg.AuditLogin, u.ID, d0.Add(time.Second))
		s := newSession(u.ID)
		ctx := luciapg.WithSessionOrigin(luciapg.WithAuditEvent(c.ctx, login), newOrigin(d0))
		wantNoErr(t, "SetSession with an event and an origin", c.adapter.SetSession(ctx, s))
		wantAuditEvents(t, "the user's events after SetSession", c.userAuditEvents(t, u.ID), []luciapg.AuditEvent{login, signUp})

		// Each of these fails, and its event must not be in the log.
		failed := newAuditEvent(luciapg.AuditKeyLinked, u.ID, d0.Add(2*time.Second))
		failing := luciapg.WithAuditEvent(c.ctx, failed)
		wantErr(t, "SetKey of a taken key id", c.adapter.SetKey(failing, persistentKey(u.ID, false)), luciapg.ErrDuplicateKeyID)
		wantErr(t, "DeleteUserSession of another user's session", c.devices(t).DeleteUserSession(failing, u.ID, otherSession.ID), luciapg.ErrInvalidSessionID)
		_, err = c.emailChanges(t).ConsumeEmailChange(failing, u.ID, "ec_unknown", time.Now())
		wantErr(t, "ConsumeEmailChange without a pending change", err, luciapg.ErrEmailChangeNotFound)
		wantErr(t, "UseTOTPStep without an enrolment", c.factorAdapter(t).UseTOTPStep(failing, u.ID, 1), luciapg.ErrFactorNotFound)
		_, err = c.adapter.SetUser(failing, u.user(), nil)
		wantErr(t, "SetUser of a taken id", err, luciapg.ErrDuplicateUserID)
		c.wantStoredSession(t, otherSession)

		// Reads and renewals ignore an event.
		_, err = c.adapter.GetUser(failing, u.ID)
		wantNoErr(t, "GetUser", err)
		_, err = c.adapter.ExtendSession(failing, s.ID, s.ActiveExpires+1, s.IdleExpires+1)
		wantNoErr(t, "ExtendSession", err)
		wantAuditEvents(t, "the user's events after failed writes, reads and a renewal", c.userAuditEvents(t, u.ID), []luciapg.AuditEvent{login, signUp})

		revoked := newAuditEvent(luciapg.AuditSessionRevoked, u.ID, d0.Add(3*time.Second))
		wantNoErr(t, "DeleteUserSession with an event", c.devices(t).DeleteUserSession(luciapg.WithAuditEvent(c.ctx, revoked), u.ID, s.ID))
		wantAuditEvents(t, "the user's events after DeleteUserSession", c.userAuditEvents(t, u.ID), []luciapg.AuditEvent{revoked, login, signUp})
		if events := c.userAuditEvents(t, other.ID); len(events) != 0 {
			t.Fatalf("the other user has events: %+v", events)
		}
	}},
	{"A2", "a write whose audit event cannot be stored fails with ErrInvalidInput and writes nothing", func(t *testing.T, c *caseEnv) {
		u := newFixtureUser()
		bad := newAuditEvent("", u.ID, d0)
		_, err := c.adapter.SetUser(luciapg.WithAuditEvent(c.ctx, bad), u.user(), nil)
		wantErr(t, "SetUser with an event without a kind", err, luciapg.ErrInvalidInput)
		c.wantNoUser(t, u.ID)
		if events := c.userAuditEvents(t, u.ID); len(events) != 0 {
			t.Fatalf("a refused write left events: %+v", events)
		}
	}},
	{"A3", "RecordAuditEvent appends the event as given, with a growing ID, and refuses what cannot be stored", func(t *testing.T, c *caseEnv) {
		a := c.auditLog(t)
		u := c.seedUser(t)
		first := newAuditEvent(luciapg.AuditLoginFailed, u.ID, d0)
		first.ID = 12345 // the storage sets it
		first.UserAgent = strings.Repeat("u", luciapg.MaxUserAgentBytes)
		first.Detail = strings.Repeat("d", luciapg.MaxAuditDetailBytes)
		first.Kind = strings.Repeat("k", 64)
		wantNoErr(t, "RecordAuditEvent", a.RecordAuditEvent(c.ctx, first))
		anonymous := luciapg.AuditEvent{At: d0, Kind: luciapg.AuditLoginFailed}
		wantNoErr(t, "RecordAuditEvent without a user or client", a.RecordAuditEvent(c.ctx, anonymous))
		all, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{})
		wantNoErr(t, "ListAuditEvents", err)
		first.ID = 0
		wantAuditEvents(t, "ListAuditEvents", all, []luciapg.AuditEvent{anonymous, first})
		if all[0].ID <= all[1].ID {
			t.Fatalf("the later event has ID %d, the earlier %d: want IDs growing", all[0].ID, all[1].ID)
		}

		refused := map[string]func(e *luciapg.AuditEvent){
			"an empty kind":                         func(e *luciapg.AuditEvent) { e.Kind = "" },
			"a kind over 64 bytes":                  func(e *luciapg.AuditEvent) { e.Kind = strings.Repeat("k", 65) },
			"a zero time":                           func(e *luciapg.AuditEvent) { e.At = time.Time{} },
			"a detail over MaxAuditDetailBytes":     func(e *luciapg.AuditEvent) { e.Detail = strings.Repeat("d", luciapg.MaxAuditDetailBytes+1) },
			"a NUL byte in the detail":              func(e *luciapg.AuditEvent) { e.Detail = "a\x00b" },
			"invalid UTF-8 in the client's address": func(e *luciapg.AuditEvent) { e.ClientAddress = "\xff" },
		}
		for what, spoil := range refused {
			e := newAuditEvent(luciapg.AuditLogin, u.ID, d0)
			spoil(&e)
			wantErr(t, "RecordAuditEvent with "+what, a.RecordAuditEvent(c.ctx, e), luciapg.ErrInvalidInput)
		}
		after, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{})
		wantNoErr(t, "ListAuditEvents", err)
		wantAuditEvents(t, "ListAuditEvents after refused events", after, all)

		// A user agent is whatever the client sent: not refused, but cut
		// at a character boundary, as a session origin's is.
		long := newAuditEvent(luciapg.AuditLogin, u.ID, d0)
		long.UserAgent = strings.Repeat("u", luciapg.MaxUserAgentBytes-1) + "é and more"
		wantNoErr(t, "RecordAuditEvent with a user agent over MaxUserAgentBytes", a.RecordAuditEvent(c.ctx, long))
		latest, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{Limit: 1})
		wantNoErr(t, "ListAuditEvents", err)
		long.UserAgent = strings.Repeat("u", luciapg.MaxUserAgentBytes-1)
		wantAuditEvents(t, "an event with a long user agent", latest, []luciapg.AuditEvent{long})
	}},
	{"A4", "ListAuditEvents pages newest first by Limit and Before, drops events before Since, and lists one user's events only for a UserID", func(t *testing.T, c *caseEnv) {
		a := c.auditLog(t)
		alice, bob := c.seedUser(t), c.seedUser(t)
		var aliceEvents, everyone []luciapg.AuditEvent // oldest first
		for i := range 10 {
			user := alice.ID
			if i%3 == 1 {
				user = bob.ID
			}
			e := newAuditEvent(luciapg.AuditLogin, user, d0.Add(time.Duration(i)*time.Minute))
			wantNoErr(t, "RecordAuditEvent", a.RecordAuditEvent(c.ctx, e))
			everyone = append(everyone, e)
			if user == alice.ID {
				aliceEvents = append(aliceEvents, e)
			}
		}
		slices.Reverse(aliceEvents)
		slices.Reverse(everyone)

		var pages [][]luciapg.AuditEvent
		query := luciapg.AuditQuery{UserID: alice.ID, Limit: 3}
		for range 10 {
			page, err := a.ListAuditEvents(c.ctx, query)
			wantNoErr(t, "ListAuditEvents", err)
			pages = append(pages, page)
			if len(page) < query.Limit {
				break
			}
			query.Before = page[len(page)-1].ID
		}
		if len(pages) != 3 || len(pages[2]) != 1 {
			t.Fatalf("Alice's 7 events in pages of 3 came as %d pages, the last of %d", len(pages), len(pages[len(pages)-1]))
		}
		wantAuditEvents(t, "Alice's events, page by page", slices.Concat(pages...), aliceEvents)

		all, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{})
		wantNoErr(t, "ListAuditEvents of everyone", err)
		wantAuditEvents(t, "everyone's events", all, everyone)
		since, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{UserID: bob.ID, Since: d0.Add(4 * time.Minute)})
		wantNoErr(t, "ListAuditEvents since a time", err)
		wantAuditEvents(t, "Bob's events since his second", since, []luciapg.AuditEvent{everyone[2], everyone[5]})
		one, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{UserID: bob.ID, Limit: 1, Before: all[2].ID})
		wantNoErr(t, "ListAuditEvents before an ID", err)
		wantAuditEvents(t, "Bob's event before his last but one", one, []luciapg.AuditEvent{everyone[5]})
		none, err := a.ListAuditEvents(c.ctx, luciapg.AuditQuery{UserID: newFixtureUser().ID})
		wantNoErr(t, "ListAuditEvents of an unknown user", err)
		wantAuditEvents(t, "an unknown user's events", none, nil)
		_, err = a.ListAuditEvents(c.ctx, luciapg.AuditQuery{Limit: 1000})
		wantNoErr(t, "ListAuditEvents with the largest limit", err)

		for what, q := range map[string]luciapg.AuditQuery{
			"a negative limit":   {Limit: -1},
			"a limit over 1,000": {Limit: 1001},
			"a negative Before":  {Before: -1},
		} {
			_, err := a.ListAuditEvents(c.ctx, q)
			wantErr(t, "ListAuditEvents with "+what, err, luciapg.ErrInvalidInput)
		}
	}},
	{"A5", "HasSignedInFrom finds a sign-up or login of the user from the same address and user agent, and nothing else", func(t *testing.T, c *caseEnv) {
		a := c.auditLog(t)
		u, other := c.seedUser(t), c.seedUser(t)
		record := func(kind, userID, addr, agent string) {
			e := newAuditEvent(kind, userID, d0)
			e.ClientAddress, e.UserAgent = addr, agent
			wantNoErr(t, "RecordAuditEvent", a.RecordAuditEvent(c.ctx, e))
		}
		record(luciapg.AuditSignUp, u.ID, "192.0.2.1", "Firefox")
		record(luciapg.AuditLogin, u.ID, "2001:db8:1::/64", "Safari")
		record(luciapg.AuditLoginFailed, u.ID, "192.0.2.66", "Firefox")
		record(luciapg.AuditPasswordChanged, u.ID, "192.0.2.77", "Firefox")
		record(luciapg.AuditLogin, other.ID, "192.0.2.88", "Firefox")
		for _, tc := range []struct {
			userID, addr, agent string
			want                bool
		}{
			{u.ID, "192.0.2.1", "Firefox", true},
			{u.ID, "2001:db8:1::/64", "Safari", true},
			{u.ID, "192.0.2.1", "Safari", false},
			{u.ID, "2001:db8:1::/64", "Firefox", false},
			{u.ID, "192.0.2.66", "Firefox", false},
			{u.ID, "192.0.2.77", "Firefox", false},
			{u.ID, "192.0.2.88", "Firefox", false},
			{other.ID, "192.0.2.1", "Firefox", false},
		} {
			got, err := a.HasSignedInFrom(c.ctx, tc.userID, tc.addr, tc.agent)
			wantNoErr(t, "HasSignedInFrom", err)
			if got != tc.want {
				t.Fatalf("HasSignedInFrom(%s user, %q, %q) = %v, want %v", map[bool]string{true: "the", false: "another"}[tc.userID == u.ID], tc.addr, tc.agent, got, tc.want)
			}
		}
	}},
	{"A6", "PurgeAuditEvents deletes up to its limit of the events before its time, oldest first, and counts them", func(t *testing.T, c *caseEnv) {
		a := c.auditLog(t)
		u := c.seedUser(t)
		// Recorded out of time order: oldest means by time, not by ID.
		offsets := []time.Duration{-3 * time.Hour, -5 * time.Hour, -time.Hour, -4 * time.Hour, -2 * time.Hour, 0, time.Hour}
		for _, off := range offsets {
			wantNoErr(t, "RecordAuditEvent", a.RecordAuditEvent(c.ctx, newAuditEvent(luciapg.AuditLogin, u.ID, d0.Add(off))))
		}
		remaining := func() []time.Duration {
			var got []time.Duration
			for _, e := range c.userAuditEvents(t, u.ID) {
				got = append(got, e.At.Sub(d0))
			}
			slices.Sort(got)
			return got
		}
		purge := func(limit int, want int64) {
			t.Helper()
			n, err := a.PurgeAuditEvents(c.ctx, d0, limit)
			wantNoErr(t, "PurgeAuditEvents", err)
			wantEqual(t, "PurgeAuditEvents' count", n, want)
		}
		purge(2, 2)
		wantEqual(t, "events left after purging 2", remaining(), []time.Duration{-3 * time.Hour, -2 * time.Hour, -time.Hour, 0, time.Hour})
		purge(10, 3)
		wantEqual(t, "events left after purging the rest", remaining(), []time.Duration{0, time.Hour})
		purge(10, 0)
		_, err := a.PurgeAuditEvents(c.ctx, d0, 0)
		wantErr(t, "PurgeAuditEvents with a zero limit", err, luciapg.ErrInvalidInput)
	}},
	{"A7", "a user's audit events outlive the user", func(t *testing.T, c *caseEnv) {
		u := c.seedUser(t)
		e := newAuditEvent(luciapg.AuditLogin, u.ID, d0)
		wantNoErr(t, "RecordAuditEvent", c.auditLog(t).RecordAuditEvent(c.ctx, e))
		gone := newAuditEvent("account_deleted", u.ID, d0.Add(time.Second))
		wantNoErr(t, "DeleteUser with an event", c.adapter.DeleteUser(luciapg.WithAuditEvent(c.ctx, gone), u.ID))
		c.wantNoUser(t, u.ID)
		wantAuditEvents(t, "a deleted user's events", c.userAuditEvents(t, u.ID), []luciapg.AuditEvent{gone, e})
	}},
}
