package adaptertest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// The rows the device, audit and email-change cases store, and helpers
// that fail the test on an adapter error where a case only sets things up
// or reads back. Storage knows only Lucia's three tables, so these cases
// read back through the adapter, each write checked by another method.

// devices returns the adapter under test as a luciapg.DeviceAdapter,
// failing the case when it is none: every adapter in luciapg implements
// it, and one that drops it must not pass unnoticed.
func (c *caseEnv) devices(t *testing.T) luciapg.DeviceAdapter {
	t.Helper()
	d, ok := c.adapter.(luciapg.DeviceAdapter)
	if !ok {
		t.Fatalf("the adapter under test (%T) is no luciapg.DeviceAdapter: implement it", c.adapter)
	}
	return d
}

// auditLog returns the adapter under test as a luciapg.AuditAdapter,
// failing the case when it is none.
func (c *caseEnv) auditLog(t *testing.T) luciapg.AuditAdapter {
	t.Helper()
	a, ok := c.adapter.(luciapg.AuditAdapter)
	if !ok {
		t.Fatalf("the adapter under test (%T) is no luciapg.AuditAdapter: implement it", c.adapter)
	}
	return a
}

// emailChanges returns the adapter under test as a
// luciapg.EmailChangeAdapter, failing the case when it is none.
func (c *caseEnv) emailChanges(t *testing.T) luciapg.EmailChangeAdapter {
	t.Helper()
	e, ok := c.adapter.(luciapg.EmailChangeAdapter)
	if !ok {
		t.Fatalf("the adapter under test (%T) is no luciapg.EmailChangeAdapter: implement it", c.adapter)
	}
	return e
}

// d0 is the suite's reference instant for metadata and audit times,
// microsecond-exact so that what the storage keeps compares equal.
var d0 = time.Date(2026, 12, 8, 9, 30, 0, 123456000, time.UTC)

// newOrigin is a session origin at at, from a client of its own.
func newOrigin(at time.Time) luciapg.SessionOrigin {
	return luciapg.SessionOrigin{
		At:            at,
		ClientAddress: "2001:db8:" + strings.ToLower(randomString(4)) + "::/64",
		UserAgent:     "Mozilla/5.0 (X11; Linux x86_64; rv:" + randomString(6) + ") Gecko/20100101 Firefox/133.0",
	}
}

// sessionWithOrigin inserts a new session of userID with SetSession, with
// origin in the context.
func (c *caseEnv) sessionWithOrigin(t *testing.T, userID string, origin luciapg.SessionOrigin) luciapg.Session {
	t.Helper()
	s := newSession(userID)
	wantNoErr(t, "SetSession with an origin", c.adapter.SetSession(luciapg.WithSessionOrigin(c.ctx, origin), s))
	return s
}

// sessionsMetadata is GetUserSessionsMetadata, failing on an error.
func (c *caseEnv) sessionsMetadata(t *testing.T, userID string) []luciapg.SessionMetadata {
	t.Helper()
	list, err := c.devices(t).GetUserSessionsMetadata(c.ctx, userID)
	wantNoErr(t, "GetUserSessionsMetadata", err)
	return list
}

// metadataOf returns the entry of sessionID in the user's list, failing
// when it is not there.
func (c *caseEnv) metadataOf(t *testing.T, userID, sessionID string) luciapg.SessionMetadata {
	t.Helper()
	list := c.sessionsMetadata(t, userID)
	i := slices.IndexFunc(list, func(m luciapg.SessionMetadata) bool { return m.Session.ID == sessionID })
	if i < 0 {
		t.Fatalf("GetUserSessionsMetadata does not list the session %q of its user", sessionID)
	}
	return list[i]
}

// wantMetadata fails unless got is session with the metadata of origin
// (none when origin is nil), last seen at lastSeen (zero for never) and
// made by factors (nil for no record); times compare by instant.
func wantMetadata(t *testing.T, what string, got luciapg.SessionMetadata, session luciapg.Session, origin *luciapg.SessionOrigin, lastSeen time.Time, factors []string) {
	t.Helper()
	want := luciapg.SessionMetadata{Session: session, Factors: factors}
	if origin != nil {
		want.HasMetadata = true
		want.CreatedAt, want.ClientAddress, want.UserAgent = micro(origin.At), origin.ClientAddress, origin.UserAgent
		want.LastSeenAt = micro(lastSeen)
	}
	wantTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(t, what+": LastSeenAt", got.LastSeenAt, want.LastSeenAt)
	got.CreatedAt, got.LastSeenAt, want.CreatedAt, want.LastSeenAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	wantEqual(t, what, got, want)
}

// newAuditEvent is an event of kind for userID at at, from a client of its
// own.
func newAuditEvent(kind, userID string, at time.Time) luciapg.AuditEvent {
	return luciapg.AuditEvent{
		At:            at,
		Kind:          kind,
		UserID:        userID,
		SessionLabel:  strings.ToLower(randomString(6)),
		ClientAddress: "192.0.2.17",
		UserAgent:     "curl/8.5.0",
		Detail:        "password",
	}
}

// userAuditEvents lists the user's events, newest first, in one page.
func (c *caseEnv) userAuditEvents(t *testing.T, userID string) []luciapg.AuditEvent {
	t.Helper()
	events, err := c.auditLog(t).ListAuditEvents(c.ctx, luciapg.AuditQuery{UserID: userID, Limit: 1000})
	wantNoErr(t, "ListAuditEvents", err)
	return events
}

// wantAuditEvents fails unless got are want in order, their IDs set by
// the storage (want's are ignored when zero) and times compared by
// instant.
func wantAuditEvents(t *testing.T, what string, got, want []luciapg.AuditEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d:\n got  %+v\n want %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID <= 0 || (w.ID != 0 && g.ID != w.ID) {
			t.Fatalf("%s: event %d has ID %d, want %d (or any positive ID when 0)", what, i, g.ID, w.ID)
		}
		wantTime(t, what+": At", g.At, micro(w.At))
		g.ID, g.At, w.ID, w.At = 0, time.Time{}, 0, time.Time{}
		wantEqual(t, what, g, w)
	}
}

// newEmailChange is a pending change for userID expiring at expires.
func newEmailChange(userID string, expires time.Time) luciapg.EmailChange {
	return luciapg.EmailChange{
		UserID:   userID,
		NewEmail: "new-" + strings.ToLower(randomString(8)) + "@example.com",
		TokenID:  "ec_" + randomString(32),
		Expires:  expires,
	}
}

// wantEmailChange fails unless got is want with a CreatedAt the storage
// set no earlier than setAt minus a minute (clocks of the process and the
// database may differ a little); Expires compared by instant.
func wantEmailChange(t *testing.T, what string, got, want luciapg.EmailChange, setAt time.Time) {
	t.Helper()
	if got.CreatedAt.Before(setAt.Add(-time.Minute)) {
		t.Fatalf("%s: CreatedAt %v, want it set by the storage when the change was stored (about %v)", what, got.CreatedAt, setAt)
	}
	wantTime(t, what+": Expires", got.Expires, micro(want.Expires))
	got.CreatedAt, got.Expires, want.CreatedAt, want.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	wantEqual(t, what, got, want)
}
