package auth_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

var sessionIDFormat = regexp.MustCompile(`^[a-zA-Z0-9]{40}$`)

func TestCreateSessionDefaults(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user := createUser(t, a)
		if len(user.ID) != auth.DefaultUserIDLength {
			t.Errorf("generated user id has %d characters, want %d", len(user.ID), auth.DefaultUserIDLength)
		}
		session, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		if !sessionIDFormat.MatchString(session.ID) {
			t.Errorf("session id %q is not 40 characters of a-z A-Z 0-9", session.ID)
		}
		wantActive := startTime.Add(24 * time.Hour)
		wantIdle := wantActive.Add(14 * 24 * time.Hour)
		if session.UserID != user.ID || !session.ActiveExpires.Equal(wantActive) || !session.IdleExpires.Equal(wantIdle) ||
			session.State != auth.SessionActive || !session.Fresh {
			t.Fatalf("CreateSession = %+v, want user %s, active until %v, idle until %v, active and fresh",
				session, user.ID, wantActive, wantIdle)
		}
		stored, err := adapter.GetSession(t.Context(), session.ID)
		wantNoErr(t, "GetSession", err)
		want := luciapg.Session{ID: session.ID, UserID: user.ID, ActiveExpires: wantActive.UnixMilli(), IdleExpires: wantIdle.UnixMilli()}
		if stored != want {
			t.Fatalf("stored session %+v, want %+v", stored, want)
		}
	})
}

func TestCreateSessionUnknownUser(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		_, err := a.CreateSession(t.Context(), "nobody")
		wantErr(t, "CreateSession", err, luciapg.ErrInvalidUserID)
	})
}

func TestConfigChangesPeriodsAndLengths(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		c := newClock()
		a := mustAuth(auth.New(adapter, auth.Config{
			ActivePeriod: time.Hour, IdlePeriod: 2 * time.Hour,
			UserIDLength: 20, SessionIDLength: 64, Now: c.Now,
		}))
		user := createUser(t, a)
		if len(user.ID) != 20 {
			t.Errorf("user id has %d characters, want 20", len(user.ID))
		}
		session, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		if len(session.ID) != 64 || !session.ActiveExpires.Equal(startTime.Add(time.Hour)) ||
			!session.IdleExpires.Equal(startTime.Add(3*time.Hour)) {
			t.Fatalf("CreateSession = %+v, want a 64-character id, active 1h, idle 2h more", session)
		}
		_, err = a.ValidateSession(t.Context(), session.ID)
		wantNoErr(t, "ValidateSession", err)
	})
}

// The state rules at each boundary: active while now <= active expiry, idle
// (and renewed) while now <= idle expiry, dead (and deleted) after.
func TestValidateSessionStates(t *testing.T) {
	t.Parallel()
	active, idle := 24*time.Hour, 15*24*time.Hour
	tests := []struct {
		name    string
		elapsed time.Duration
		want    auth.SessionState // 0: dead
	}{
		{"just created", 0, auth.SessionActive},
		{"at the active expiry", active, auth.SessionActive},
		{"1ms past the active expiry", active + time.Millisecond, auth.SessionIdle},
		{"at the idle expiry", idle, auth.SessionIdle},
		{"1ms past the idle expiry", idle + time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
				a, c := newAuth(adapter)
				user, err := a.CreateUser(t.Context(), auth.CreateUserParams{Attributes: map[string]any{"username": "ada"}})
				wantNoErr(t, "CreateUser", err)
				created, err := a.CreateSession(t.Context(), user.ID)
				wantNoErr(t, "CreateSession", err)
				c.Advance(tt.elapsed)

				session, gotUser, err := a.ValidateSessionUser(t.Context(), created.ID)
				switch tt.want {
				case 0:
					wantErr(t, "ValidateSessionUser of a dead session", err, luciapg.ErrInvalidSessionID)
					_, err = adapter.GetSession(t.Context(), created.ID)
					wantErr(t, "GetSession of the dead session", err, luciapg.ErrInvalidSessionID)
					return
				case auth.SessionActive:
					wantNoErr(t, "ValidateSessionUser", err)
					if session.ID != created.ID || session.Fresh || session.State != auth.SessionActive ||
						!session.IdleExpires.Equal(created.IdleExpires) {
						t.Fatalf("ValidateSessionUser = %+v, want the created session %+v, not fresh", session, created)
					}
				case auth.SessionIdle:
					wantNoErr(t, "ValidateSessionUser", err)
					now := c.Now()
					if session.ID != created.ID || !session.Fresh || session.State != auth.SessionActive ||
						session.UserID != user.ID || !session.ActiveExpires.Equal(now.Add(active)) ||
						!session.IdleExpires.Equal(now.Add(idle)) {
						t.Fatalf("renewal = %+v, want session %s extended from %v, fresh and active", session, created.ID, now)
					}
					// Renewed in place: one row, with the new expiries.
					stored, err := adapter.GetSessionsByUserID(t.Context(), user.ID)
					wantNoErr(t, "GetSessionsByUserID", err)
					want := luciapg.Session{ID: created.ID, UserID: user.ID, ActiveExpires: now.Add(active).UnixMilli(), IdleExpires: now.Add(idle).UnixMilli()}
					if len(stored) != 1 || stored[0] != want {
						t.Fatalf("stored sessions after the renewal = %+v, want only %+v", stored, want)
					}
				}
				if gotUser.ID != user.ID || gotUser.Attributes["username"] != "ada" {
					t.Fatalf("ValidateSessionUser user = %+v, want %+v", gotUser, user)
				}
				// ValidateSession follows the same rules.
				again, err := a.ValidateSession(t.Context(), session.ID)
				wantNoErr(t, "ValidateSession", err)
				if again.ID != session.ID || again.Fresh || again.State != auth.SessionActive {
					t.Fatalf("ValidateSession = %+v, want %s active and not fresh", again, session.ID)
				}
			})
		})
	}
}

func TestValidateSessionIdleAndDeadWithoutUser(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newAuth(adapter)
		user := createUser(t, a)
		created, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(25 * time.Hour)
		renewed, err := a.ValidateSession(t.Context(), created.ID)
		wantNoErr(t, "ValidateSession", err)
		if !renewed.Fresh || renewed.ID != created.ID || !renewed.IdleExpires.After(created.IdleExpires) {
			t.Fatalf("ValidateSession of an idle session = %+v, want it renewed in place", renewed)
		}
		c.Set(renewed.IdleExpires.Add(time.Millisecond))
		_, err = a.ValidateSession(t.Context(), created.ID)
		wantErr(t, "ValidateSession of a dead session", err, luciapg.ErrInvalidSessionID)
		_, err = adapter.GetSession(t.Context(), created.ID)
		wantErr(t, "GetSession of the dead session", err, luciapg.ErrInvalidSessionID)
	})
}

func TestValidateSessionUnknownID(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		unknown := "0123456789012345678901234567890123456789"
		_, err := a.ValidateSession(t.Context(), unknown)
		wantErr(t, "ValidateSession", err, luciapg.ErrInvalidSessionID)
		_, _, err = a.ValidateSessionUser(t.Context(), unknown)
		wantErr(t, "ValidateSessionUser", err, luciapg.ErrInvalidSessionID)
	})
}

// An id of the wrong length cannot be a session: it is refused without a
// round trip, whatever the adapter holds.
func TestValidateSessionWrongLengthSkipsAdapter(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		counting := &countingAdapter{ThrottlingAdapter: adapter}
		a, _ := newAuth(counting)
		user := createUser(t, a)
		session, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		for _, id := range []string{"", session.ID[:39], session.ID + "x", session.ID + session.ID} {
			_, err := a.ValidateSession(t.Context(), id)
			wantErr(t, "ValidateSession", err, luciapg.ErrInvalidSessionID)
			_, _, err = a.ValidateSessionUser(t.Context(), id)
			wantErr(t, "ValidateSessionUser", err, luciapg.ErrInvalidSessionID)
		}
		if n := counting.reads.Load(); n != 0 {
			t.Fatalf("%d session reads reached the adapter for ids of the wrong length, want 0", n)
		}
		_, err = a.ValidateSession(t.Context(), session.ID)
		wantNoErr(t, "ValidateSession of the right id", err)
		if n := counting.reads.Load(); n != 1 {
			t.Fatalf("%d session reads for one valid id, want 1 (the counter is not counting)", n)
		}
	})
}

// Several requests carrying the same idle session at once all stay logged
// in, with that same session: each gets it back alive, at least one as the
// renewal (Fresh), and no other session is created.
func TestValidateIdleSessionConcurrently(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newAuth(adapter)
		user := createUser(t, a)
		created, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(48 * time.Hour)
		const requests = 8
		renewed := make([]auth.Session, requests)
		errs := runConcurrently(requests, func(i int) error {
			var err error
			renewed[i], _, err = a.ValidateSessionUser(t.Context(), created.ID)
			return err
		})
		fresh := 0
		for i, err := range errs {
			wantNoErr(t, "ValidateSessionUser", err)
			if renewed[i].ID != created.ID || renewed[i].State != auth.SessionActive {
				t.Fatalf("request %d: %+v, want session %s, active", i, renewed[i], created.ID)
			}
			if renewed[i].Fresh {
				fresh++
			}
		}
		if fresh == 0 {
			t.Fatal("no request renewed the idle session")
		}
		stored, err := adapter.GetSessionsByUserID(t.Context(), user.ID)
		wantNoErr(t, "GetSessionsByUserID", err)
		if len(stored) != 1 {
			t.Fatalf("%d concurrent requests with one idle session left %d sessions, want 1", requests, len(stored))
		}
	})
}

// Concurrent validations of a dead session all fail and leave no row.
func TestValidateDeadSessionConcurrently(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newAuth(adapter)
		user := createUser(t, a)
		created, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Set(created.IdleExpires.Add(time.Second))
		errs := runConcurrently(8, func(int) error {
			_, _, err := a.ValidateSessionUser(t.Context(), created.ID)
			return err
		})
		for _, err := range errs {
			wantErr(t, "ValidateSessionUser of a dead session", err, luciapg.ErrInvalidSessionID)
		}
		_, err = adapter.GetSession(t.Context(), created.ID)
		wantErr(t, "GetSession", err, luciapg.ErrInvalidSessionID)
	})
}

// Renewal is one adapter call on the session itself: it reads none of the
// user's other sessions (a user with thousands would make every renewal
// slow) and leaves dead ones to the janitor.
func TestRenewalReadsNoOtherSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		counting := &countingAdapter{ThrottlingAdapter: adapter}
		a, c := newAuth(counting)
		user := createUser(t, a)
		old, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(14 * 24 * time.Hour)
		idle, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(2 * 24 * time.Hour) // old is dead now, idle is idle
		renewed, err := a.ValidateSession(t.Context(), idle.ID)
		wantNoErr(t, "ValidateSession", err)
		if !renewed.Fresh || renewed.ID != idle.ID {
			t.Fatalf("ValidateSession = %+v, want %s renewed", renewed, idle.ID)
		}
		if n := counting.userSessionReads.Load(); n != 0 {
			t.Fatalf("the renewal read the user's sessions %d times, want 0", n)
		}
		_, err = adapter.GetSession(t.Context(), old.ID)
		wantNoErr(t, "GetSession of the dead session the janitor will purge", err)
	})
}

// One idle cookie replayed by many requests, one after another, stays one
// session (Lucia v1 minted a new one per request: 20 requests, 21 rows).
func TestIdleCookieReplayedMintsNoSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newAuth(adapter)
		user := createUser(t, a)
		created, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(36 * time.Hour)
		for range 20 {
			session, _, err := a.ValidateSessionUser(t.Context(), created.ID)
			wantNoErr(t, "ValidateSessionUser", err)
			if session.ID != created.ID {
				t.Fatalf("validation returned session %s, want %s", session.ID, created.ID)
			}
		}
		stored, err := adapter.GetSessionsByUserID(t.Context(), user.ID)
		wantNoErr(t, "GetSessionsByUserID", err)
		if len(stored) != 1 {
			t.Fatalf("20 requests with one idle cookie left %d sessions, want 1", len(stored))
		}
		// Logging out that id ends the user's only session.
		wantNoErr(t, "InvalidateSession", a.InvalidateSession(t.Context(), created.ID))
		_, err = a.ValidateSession(t.Context(), created.ID)
		wantErr(t, "ValidateSession after InvalidateSession", err, luciapg.ErrInvalidSessionID)
	})
}

// A session deleted between its read and its renewal (a logout on another
// request, its user deleted) is not brought back: the renewal reports it
// invalid.
func TestRenewalOfASessionDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		deleting := &deleteBeforeExtend{ThrottlingAdapter: adapter}
		a, c := newAuth(deleting)
		user := createUser(t, a)
		created, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(36 * time.Hour)
		_, _, err = a.ValidateSessionUser(t.Context(), created.ID)
		wantErr(t, "ValidateSessionUser", err, luciapg.ErrInvalidSessionID)
		if !deleting.deleted {
			t.Fatal("the session was not deleted before ExtendSession: the test tested nothing")
		}
		_, err = adapter.GetSession(t.Context(), created.ID)
		wantErr(t, "GetSession", err, luciapg.ErrInvalidSessionID)
	})
}

func TestGetAllUserSessionsAndDeleteDead(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newAuth(adapter)
		user := createUser(t, a)
		sessions, err := a.GetAllUserSessions(t.Context(), user.ID)
		wantNoErr(t, "GetAllUserSessions", err)
		if len(sessions) != 0 {
			t.Fatalf("GetAllUserSessions of a new user = %+v, want none", sessions)
		}
		_, err = a.GetAllUserSessions(t.Context(), "nobody")
		wantErr(t, "GetAllUserSessions of an unknown user", err, luciapg.ErrInvalidUserID)

		dead, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(10 * 24 * time.Hour)
		idle, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)
		c.Advance(6 * 24 * time.Hour)
		active, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)

		sessions, err = a.GetAllUserSessions(t.Context(), user.ID)
		wantNoErr(t, "GetAllUserSessions", err)
		states := map[string]auth.SessionState{}
		for _, s := range sessions {
			states[s.ID] = s.State
		}
		want := map[string]auth.SessionState{idle.ID: auth.SessionIdle, active.ID: auth.SessionActive}
		if len(states) != len(want) || states[idle.ID] != auth.SessionIdle || states[active.ID] != auth.SessionActive {
			t.Fatalf("GetAllUserSessions states = %v, want %v (the dead one left out)", states, want)
		}
		// Listing renews nothing and deletes nothing.
		stored, err := adapter.GetSessionsByUserID(t.Context(), user.ID)
		wantNoErr(t, "GetSessionsByUserID", err)
		if len(stored) != 3 {
			t.Fatalf("%d sessions stored after listing, want 3", len(stored))
		}

		wantNoErr(t, "DeleteDeadUserSessions", a.DeleteDeadUserSessions(t.Context(), user.ID))
		_, err = adapter.GetSession(t.Context(), dead.ID)
		wantErr(t, "GetSession of the dead session", err, luciapg.ErrInvalidSessionID)
		for _, id := range []string{idle.ID, active.ID} {
			_, err = adapter.GetSession(t.Context(), id)
			wantNoErr(t, "GetSession of a live session", err)
		}
	})
}

func TestInvalidateSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user, other := createUser(t, a), createUser(t, a)
		var ids []string
		for range 3 {
			s, err := a.CreateSession(t.Context(), user.ID)
			wantNoErr(t, "CreateSession", err)
			ids = append(ids, s.ID)
		}
		kept, err := a.CreateSession(t.Context(), other.ID)
		wantNoErr(t, "CreateSession", err)

		wantNoErr(t, "InvalidateSession", a.InvalidateSession(t.Context(), ids[0]))
		_, err = a.ValidateSession(t.Context(), ids[0])
		wantErr(t, "ValidateSession after InvalidateSession", err, luciapg.ErrInvalidSessionID)
		_, err = a.ValidateSession(t.Context(), ids[1])
		wantNoErr(t, "ValidateSession of another session", err)
		wantNoErr(t, "InvalidateSession of an unknown id", a.InvalidateSession(t.Context(), ids[0]))

		wantNoErr(t, "InvalidateAllUserSessions", a.InvalidateAllUserSessions(t.Context(), user.ID))
		for _, id := range ids[1:] {
			_, err = a.ValidateSession(t.Context(), id)
			wantErr(t, "ValidateSession after InvalidateAllUserSessions", err, luciapg.ErrInvalidSessionID)
		}
		_, err = a.ValidateSession(t.Context(), kept.ID)
		wantNoErr(t, "ValidateSession of another user's session", err)
	})
}

func TestSessionStateString(t *testing.T) {
	t.Parallel()
	for state, want := range map[auth.SessionState]string{auth.SessionActive: "active", auth.SessionIdle: "idle", 0: "unknown"} {
		if got := state.String(); got != want {
			t.Errorf("SessionState(%d).String() = %q, want %q", int(state), got, want)
		}
	}
}
