package replica_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/replica"
)

// Every DeviceAdapter, AuditAdapter and EmailChangeAdapter call goes to
// the primary, even while the standby serves reads: the "standby" is
// another database of the same server, as in TestRouterFactorsOnThePrimary,
// holding rows of its own that a call answered there would return.
func TestRouterDevicesAuditAndEmailChangesOnThePrimary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primaryPool := testdb.Pool(t, testdb.NewURL(t), 2)
	standbyPool := testdb.Pool(t, testdb.NewURL(t), 2)
	router := newRouter(t, primaryPool, standbyPool, replica.Config{})
	pgcluster.Eventually(t, "the standby to be usable", func() (bool, error) { return router.Stats().Usable, nil })
	primary, standby := luciapg.New(primaryPool), luciapg.New(standbyPool)
	now := time.Now()
	origin := luciapg.SessionOrigin{At: now, ClientAddress: "192.0.2.1", UserAgent: "Firefox"}
	session := luciapg.Session{ID: "s1", UserID: "u1", ActiveExpires: 1 << 50, IdleExpires: 1 << 50}
	for _, s := range []*luciapg.Store{primary, standby} {
		if _, err := s.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := standby.SetSession(luciapg.WithSessionOrigin(ctx, origin), session); err != nil {
		t.Fatal(err)
	}
	if err := standby.RecordAuditEvent(ctx, luciapg.AuditEvent{At: now, Kind: luciapg.AuditLogin, UserID: "u1", ClientAddress: "192.0.2.1", UserAgent: "Firefox"}); err != nil {
		t.Fatal(err)
	}
	if err := standby.SetEmailChange(ctx, luciapg.EmailChange{UserID: "u1", NewEmail: "standby@example.com", TokenID: "t1", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// The router does read from the other database: the test would prove
	// nothing otherwise.
	before := router.Stats().StandbyReads
	if _, err := router.GetUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if router.Stats().StandbyReads == before {
		t.Fatal("GetUser was not answered by the standby: the test proves nothing")
	}
	before = router.Stats().StandbyReads

	if list, err := router.GetUserSessionsMetadata(ctx, "u1"); err != nil || len(list) != 0 {
		t.Fatalf("GetUserSessionsMetadata = %+v, %v; want the primary's empty list", list, err)
	}
	if err := router.DeleteUserSession(ctx, "u1", "s1"); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("DeleteUserSession of the standby's session: %v, want ErrInvalidSessionID", err)
	}
	if n, err := router.DeleteOtherUserSessions(ctx, "u1", ""); err != nil || n != 0 {
		t.Fatalf("DeleteOtherUserSessions = %d, %v; want none of the primary's", n, err)
	}
	if _, err := standby.GetSession(ctx, "s1"); err != nil {
		t.Fatalf("a revocation through the router reached the standby: %v", err)
	}
	if known, err := router.HasSignedInFrom(ctx, "u1", "192.0.2.1", "Firefox"); err != nil || known {
		t.Fatalf("HasSignedInFrom = %v, %v; want the primary's answer, false", known, err)
	}
	if events, err := router.ListAuditEvents(ctx, luciapg.AuditQuery{UserID: "u1"}); err != nil || len(events) != 0 {
		t.Fatalf("ListAuditEvents = %+v, %v; want the primary's none", events, err)
	}
	if _, err := router.GetEmailChange(ctx, "u1", now); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
		t.Fatalf("GetEmailChange of the standby's change: %v, want ErrEmailChangeNotFound", err)
	}
	if _, err := router.ConsumeEmailChange(ctx, "u1", "t1", now); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
		t.Fatalf("ConsumeEmailChange of the standby's change: %v, want ErrEmailChangeNotFound", err)
	}

	// And the writes land on the primary.
	if err := router.RecordAuditEvent(ctx, luciapg.AuditEvent{At: now, Kind: luciapg.AuditLogin, UserID: "u1", ClientAddress: "192.0.2.9", UserAgent: "Safari"}); err != nil {
		t.Fatal(err)
	}
	if known, err := primary.HasSignedInFrom(ctx, "u1", "192.0.2.9", "Safari"); err != nil || !known {
		t.Fatalf("the primary after RecordAuditEvent through the router: %v, %v", known, err)
	}
	if err := router.SetEmailChange(ctx, luciapg.EmailChange{UserID: "u1", NewEmail: "primary@example.com", TokenID: "t2", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, err := primary.GetEmailChange(ctx, "u1", now); err != nil || got.NewEmail != "primary@example.com" {
		t.Fatalf("the primary after SetEmailChange through the router: %+v, %v", got, err)
	}
	if st := router.Stats(); st.StandbyReads != before {
		t.Errorf("stats %+v: a device, audit or email-change call was answered by the standby", st)
	}
}

// TestRouterRevocationsOverStandby: a revocation through the router is a
// write on the primary, and a standby whose replay is paused still holds
// the revoked sessions. A router bounded by MaxLag refuses them once the
// bound has passed, and for good, while a session the revocation kept is
// still accepted; one with a bound of an hour shows the standby is indeed
// stale. A user cannot revoke another user's session through it.
func TestRouterRevocationsOverStandby(t *testing.T) {
	t.Parallel()
	r := newReplicated(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// revoke revokes the user's sessions but kept through router.
		revoke        func(router *replica.Router, userID, revoked, kept string) error
		revoked, kept string
	}{
		{"DeleteUserSession", func(router *replica.Router, userID, revoked, _ string) error {
			return router.DeleteUserSession(ctx, userID, revoked)
		}, "s-dus-revoked", "s-dus-kept"},
		{"DeleteOtherUserSessions", func(router *replica.Router, userID, _, kept string) error {
			n, err := router.DeleteOtherUserSessions(ctx, userID, kept)
			if err == nil && n != 1 {
				t.Fatalf("DeleteOtherUserSessions deleted %d sessions, want the user's 1 other", n)
			}
			return err
		}, "s-dous-revoked", "s-dous-kept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			userID, otherUserID := "u-"+tc.name, "u-other-"+tc.name
			r.newSession(t, userID, tc.revoked)
			if err := r.primary.SetSession(ctx, luciapg.Session{ID: tc.kept, UserID: userID, ActiveExpires: 1 << 50, IdleExpires: 1 << 50}); err != nil {
				t.Fatal(err)
			}
			// Once the other user's session is on the standby, so is the
			// kept one, written before it.
			r.newSession(t, otherUserID, "s-other-"+tc.name)
			loose := r.router(t, time.Hour)
			tight := r.router(t, 300*time.Millisecond)
			r.pauseReplay(t)

			// The attacker's try first: another user's session, named with
			// this user's id, is refused and stays.
			if err := tight.DeleteUserSession(ctx, userID, "s-other-"+tc.name); !errors.Is(err, luciapg.ErrInvalidSessionID) {
				t.Fatalf("DeleteUserSession of another user's session: %v, want ErrInvalidSessionID", err)
			}
			if _, err := r.primary.GetSession(ctx, "s-other-"+tc.name); err != nil {
				t.Fatalf("another user's session was deleted: %v", err)
			}

			if err := tc.revoke(tight, userID, tc.revoked, tc.kept); err != nil {
				t.Fatal(err)
			}
			if _, err := r.primary.GetSession(ctx, tc.revoked); !errors.Is(err, luciapg.ErrInvalidSessionID) {
				t.Fatalf("the revoked session is still on the primary: %v", err)
			}
			if _, err := loose.GetSession(ctx, tc.revoked); err != nil {
				t.Fatalf("the loose router refused the revoked session (%v): the standby is not stale, the test proves nothing", err)
			}
			pgcluster.Eventually(t, "the tight router to refuse the revoked session", func() (bool, error) {
				_, err := tight.GetSession(ctx, tc.revoked)
				if err != nil && !errors.Is(err, luciapg.ErrInvalidSessionID) {
					return false, err
				}
				return err != nil, nil
			})
			for range 20 {
				if _, _, err := tight.GetSessionAndUser(ctx, tc.revoked); !errors.Is(err, luciapg.ErrInvalidSessionID) {
					t.Fatalf("the revoked session was accepted again: %v", err)
				}
				if _, _, err := tight.GetSessionAndUser(ctx, tc.kept); err != nil {
					t.Fatalf("the kept session was refused: %v", err)
				}
			}
			if st := tight.Stats(); st.Usable || st.PrimaryReads == 0 {
				t.Errorf("stats %+v: want the stale standby unused and the reads on the primary", st)
			}
		})
	}
}
