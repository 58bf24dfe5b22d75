package auth_test

import (
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// deviceAdapter is the adapter as a luciapg.DeviceAdapter: every backend
// the tests run on must be one.
func deviceAdapter(t *testing.T, adapter luciapg.ThrottlingAdapter) luciapg.DeviceAdapter {
	t.Helper()
	da, ok := adapter.(luciapg.DeviceAdapter)
	if !ok {
		t.Fatalf("%T is no luciapg.DeviceAdapter", adapter)
	}
	return da
}

// labels are the labels of a session list, in order.
func labels(list []auth.SessionInfo) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Label
	}
	return out
}

// ListSessions: the current session first, then the others by last use
// or creation, newest first, a session a Lucia v1 app made (no metadata)
// last; a dead one left out; each with its origin as recorded, the
// address as the throttles key it.
func TestListSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newFastAuth(adapter)
		ctx := t.Context()
		user := signUp(t, a, "ada", "pass phrase")

		dead := passwordLogin(t, clientA(ctx), a, "ada", "pass phrase")
		c.Advance(24*time.Hour + 14*24*time.Hour + time.Minute) // dead: past its idle expiry
		laptop := passwordLogin(t, clientA(ctx), a, "ada", "pass phrase")
		c.Advance(time.Minute)
		phone := passwordLogin(t, clientB(ctx), a, "ada", "pass phrase")
		c.Advance(time.Minute)
		plain, err := a.CreateSession(ctx, user.ID) // no client in ctx: an origin with only its time
		wantNoErr(t, "CreateSession", err)
		now := c.Now().UnixMilli()
		lucia := luciapg.Session{ID: "luciav1sessionmadebyanotherapp0123456789", UserID: user.ID, ActiveExpires: now + time.Hour.Milliseconds(), IdleExpires: now + 2*time.Hour.Milliseconds()}
		wantNoErr(t, "SetSession without an origin", adapter.SetSession(ctx, lucia))
		c.Advance(time.Minute)
		_, err = a.ValidateSession(ctx, laptop.ID) // the laptop is the latest used
		wantNoErr(t, "ValidateSession", err)
		usedAt := c.Now()

		list, err := a.ListSessions(ctx, phone)
		wantNoErr(t, "ListSessions", err)
		want := []string{auth.SessionLabel(phone.ID), auth.SessionLabel(laptop.ID), auth.SessionLabel(plain.ID), auth.SessionLabel(lucia.ID)}
		if got := labels(list); !slices.Equal(got, want) {
			t.Fatalf("ListSessions order %v, want %v (current, last used, newest, no metadata); the dead one is %s", got, want, auth.SessionLabel(dead.ID))
		}
		cur, lap, pl, lv := list[0], list[1], list[2], list[3]
		if !cur.Current || lap.Current || pl.Current || lv.Current {
			t.Fatalf("Current: %v %v %v %v, want only the first", cur.Current, lap.Current, pl.Current, lv.Current)
		}
		if cur.ClientAddress != "2001:db8:1:2::/64" || cur.UserAgent == "" || !cur.HasMetadata {
			t.Fatalf("the phone's session: %+v, want its /64 and user agent", cur)
		}
		if lap.ClientAddress != "192.0.2.10" || !lap.LastSeenAt.Equal(usedAt) || !slices.Equal(lap.Factors, []string{luciapg.FactorPassword}) || lap.State != auth.SessionActive {
			t.Fatalf("the laptop's session: %+v, want its address, last seen %v, factors [password], active", lap, usedAt)
		}
		if !pl.HasMetadata || pl.ClientAddress != "" || pl.UserAgent != "" || pl.CreatedAt.IsZero() {
			t.Fatalf("the session made without a client: %+v, want a creation time only", pl)
		}
		if lv.HasMetadata || !lv.CreatedAt.IsZero() || lv.Factors != nil {
			t.Fatalf("the Lucia v1 session: %+v, want no metadata", lv)
		}
	})
}

// RevokeSession ends the labelled session of the user, records it with
// that session's label, and leaves the others; a dead session's label and
// an unknown one are ErrSessionNotFound.
func TestRevokeSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newFastAuth(adapter)
		ctx := t.Context()
		user := signUp(t, a, "ada", "pass phrase")
		old := passwordLogin(t, ctx, a, "ada", "pass phrase")
		c.Advance(24*time.Hour + 14*24*time.Hour + time.Minute)
		laptop := passwordLogin(t, clientA(ctx), a, "ada", "pass phrase")
		phone := passwordLogin(t, clientB(ctx), a, "ada", "pass phrase")

		wantErr(t, "RevokeSession of a dead session", a.RevokeSession(ctx, laptop, auth.SessionLabel(old.ID)), auth.ErrSessionNotFound)
		wantErr(t, "RevokeSession of an unknown label", a.RevokeSession(ctx, laptop, "abcdef"), auth.ErrSessionNotFound)
		wantErr(t, "RevokeSession of an empty label", a.RevokeSession(ctx, laptop, ""), auth.ErrSessionNotFound)
		wantNoErr(t, "RevokeSession", a.RevokeSession(clientA(ctx), laptop, auth.SessionLabel(phone.ID)))
		if _, err := a.ValidateSession(ctx, phone.ID); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("the revoked session still validates: %v", err)
		}
		stillValid(t, a, laptop, "the laptop")
		wantErr(t, "RevokeSession again", a.RevokeSession(ctx, laptop, auth.SessionLabel(phone.ID)), auth.ErrSessionNotFound)

		events := allAuditEvents(t, a, user.ID)
		if events[0].Kind != luciapg.AuditSessionRevoked || events[0].SessionLabel != auth.SessionLabel(phone.ID) || events[0].ClientAddress != "192.0.2.10" {
			t.Fatalf("the latest event: %+v, want session_revoked of the phone's session, from the laptop", events[0])
		}
		if n := kinds(events)[luciapg.AuditSessionRevoked]; n != 1 {
			t.Fatalf("%d session_revoked events, want 1: a refused revocation records nothing", n)
		}
	})
}

// Two sessions of one user whose labels are equal (found by drawing ids
// until two collide): RevokeSession refuses to choose, and ends neither.
func TestRevokeSessionAmbiguousLabel(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newFastAuth(adapter)
		ctx := t.Context()
		user := signUp(t, a, "ada", "pass phrase")
		current := passwordLogin(t, ctx, a, "ada", "pass phrase")
		first, second := collidingSessionIDs()
		now := c.Now().UnixMilli()
		for _, id := range []string{first, second} {
			s := luciapg.Session{ID: id, UserID: user.ID, ActiveExpires: now + time.Hour.Milliseconds(), IdleExpires: now + 2*time.Hour.Milliseconds()}
			wantNoErr(t, "SetSession", adapter.SetSession(ctx, s))
		}
		err := a.RevokeSession(ctx, current, auth.SessionLabel(first))
		wantErr(t, "RevokeSession of a label two sessions share", err, auth.ErrSessionNotFound)
		if sessionCount(t, a, user.ID) != 3 {
			t.Fatal("a refused revocation ended a session")
		}
	})
}

// collidingSessionIDs draws 40-character ids until two have the same
// label: about 5,000 draws (the birthday bound of 24 bits).
func collidingSessionIDs() (string, string) {
	seen := map[string]string{}
	for {
		id := (rand.Text() + rand.Text())[:40]
		label := auth.SessionLabel(id)
		if other, ok := seen[label]; ok && other != id {
			return other, id
		}
		seen[label] = id
	}
}

// RevokeOtherSessions ends every session of the user but the current one,
// and records it once; another user's sessions stay.
func TestRevokeOtherSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		ctx := t.Context()
		alice, mallory := twoUsers(t, a)
		for range 3 {
			passwordLogin(t, ctx, a, "alice", "alice's password")
		}
		n, err := a.RevokeOtherSessions(clientA(ctx), alice)
		wantNoErr(t, "RevokeOtherSessions", err)
		if n != 3 {
			t.Fatalf("RevokeOtherSessions ended %d sessions, want 3", n)
		}
		if got := sessionCount(t, a, alice.UserID); got != 1 {
			t.Fatalf("Alice has %d sessions, want 1", got)
		}
		stillValid(t, a, alice, "Alice")
		stillValid(t, a, mallory, "Mallory")
		events := allAuditEvents(t, a, alice.UserID)
		if ev := events[0]; ev.Kind != luciapg.AuditSessionRevoked || ev.Detail != "others" || ev.SessionLabel != auth.SessionLabel(alice.ID) {
			t.Fatalf("the latest event: %+v, want session_revoked, others, in the current session", ev)
		}
		n, err = a.RevokeOtherSessions(ctx, alice)
		if err != nil || n != 0 {
			t.Fatalf("RevokeOtherSessions again: %d, %v; want 0, nil", n, err)
		}
	})
}

// bareAdapter is an adapter that keeps neither session metadata nor an
// audit log nor second factors: only Lucia's contract and the throttle.
type bareAdapter struct{ luciapg.ThrottlingAdapter }

// Over an adapter that keeps no metadata and no log, the device list and
// the log are unavailable, and every other action works, recording
// nothing.
func TestDevicesAndAuditUnavailable(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		notices := &noticeRecorder{}
		c := newClock()
		a := mustAuth(auth.New(bareAdapter{adapter}, auth.Config{Now: c.Now, PasswordHasher: fastHasher{}, Notifier: notices}))
		ctx := clientA(t.Context())
		_, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pass phrase"}})
		wantNoErr(t, "CreateUser", err)
		session, err := a.Login(clientB(ctx), "username", "ada", "pass phrase")
		wantNoErr(t, "Login", err)
		_, err = a.Login(ctx, "username", "ada", "wrong")
		wantErr(t, "Login with a wrong password", err, auth.ErrInvalidPassword)
		_, err = a.ValidateSession(ctx, session.ID)
		wantNoErr(t, "ValidateSession", err)
		wantNoErr(t, "FlushLastSeen", a.FlushLastSeen(ctx))
		_, err = a.UpdateKeyPassword(ctx, "username", "ada", "new pass phrase")
		wantNoErr(t, "UpdateKeyPassword", err)
		wantNoErr(t, "InvalidateSession", a.InvalidateSession(ctx, session.ID))

		_, err = a.ListSessions(ctx, session)
		wantErr(t, "ListSessions", err, auth.ErrDevicesUnavailable)
		wantErr(t, "RevokeSession", a.RevokeSession(ctx, session, auth.SessionLabel(session.ID)), auth.ErrDevicesUnavailable)
		_, err = a.RevokeOtherSessions(ctx, session)
		wantErr(t, "RevokeOtherSessions", err, auth.ErrDevicesUnavailable)
		_, err = a.AuditEvents(ctx, luciapg.AuditQuery{})
		wantErr(t, "AuditEvents", err, auth.ErrAuditUnavailable)
		// The password change is still notified; a new client cannot be
		// told without a log, so no new sign-in notice.
		notices.waitFor(t, auth.NoticePasswordChanged, 1)
		if n := notices.count(auth.NoticeNewSignIn); n != 0 {
			t.Fatalf("%d new sign-in notices without an audit log, want 0", n)
		}
	})
}
