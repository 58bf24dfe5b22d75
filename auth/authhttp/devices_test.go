package authhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

const phoneAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1"

// A login behind Middleware records the request's address and
// User-Agent with its session; the account page lists the user's
// sessions (the request's own first), revokes one by label and the
// others at once, and shows the user's own recent activity.
func TestDevicesOverHTTP(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		var phone auth.Session
		login := f.sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var err error
			if phone, err = f.sessions.Login(r.Context(), w, f.user.ID); err != nil {
				t.Errorf("Login: %v", err)
			}
		}))
		r := requestWithCookie(http.MethodPost, "")
		r.RemoteAddr = "198.51.100.7:4711"
		r.Header.Set("User-Agent", phoneAgent)
		login.ServeHTTP(httptest.NewRecorder(), r)
		third, err := f.auth.CreateSession(t.Context(), f.user.ID)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}

		list := through(t, f, phone.ID, func(r *http.Request) []auth.SessionInfo {
			list, err := f.sessions.ListSessions(r)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			return list
		})
		if len(list) != 3 || !list[0].Current || list[0].Label != auth.SessionLabel(phone.ID) {
			t.Fatalf("ListSessions: %+v, want 3 sessions, the phone's first and current", list)
		}
		if list[0].ClientAddress != "198.51.100.7" || list[0].UserAgent != phoneAgent {
			t.Fatalf("the phone's session: %+v, want the request's address and user agent", list[0])
		}

		err = through(t, f, phone.ID, func(r *http.Request) error { return f.sessions.RevokeSession(r, auth.SessionLabel(f.session.ID)) })
		if err != nil {
			t.Fatalf("RevokeSession: %v", err)
		}
		n := through(t, f, phone.ID, func(r *http.Request) int {
			n, err := f.sessions.RevokeOtherSessions(r)
			if err != nil {
				t.Fatalf("RevokeOtherSessions: %v", err)
			}
			return n
		})
		if n != 1 {
			t.Fatalf("RevokeOtherSessions ended %d, want 1 (the third)", n)
		}
		for _, s := range []auth.Session{f.session, third} {
			if _, err := f.auth.ValidateSession(t.Context(), s.ID); !errors.Is(err, luciapg.ErrInvalidSessionID) {
				t.Fatalf("a revoked session still validates: %v", err)
			}
		}
		events := through(t, f, phone.ID, func(r *http.Request) []luciapg.AuditEvent {
			events, err := f.sessions.AuditEvents(r, luciapg.AuditQuery{Limit: 2})
			if err != nil {
				t.Fatalf("AuditEvents: %v", err)
			}
			return events
		})
		if len(events) != 2 || events[0].Kind != luciapg.AuditSessionRevoked || events[0].Detail != "others" || events[1].SessionLabel != auth.SessionLabel(f.session.ID) {
			t.Fatalf("AuditEvents: %+v, want the two revocations, newest first", events)
		}

		// Without a session, nothing is listed or revoked.
		bare := requestWithCookie(http.MethodPost, "")
		if _, err := f.sessions.ListSessions(bare); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("ListSessions without a session: %v", err)
		}
		if err := f.sessions.RevokeSession(bare, auth.SessionLabel(phone.ID)); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("RevokeSession without a session: %v", err)
		}
		if _, err := f.sessions.RevokeOtherSessions(bare); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("RevokeOtherSessions without a session: %v", err)
		}
	})
}

// sessionReads counts the reads of single sessions that reach the
// adapter it wraps, which keeps an audit log.
type sessionReads struct {
	luciapg.ThrottlingAdapter
	luciapg.AuditAdapter
	reads atomic.Int64
}

func (s *sessionReads) GetSession(ctx context.Context, id string) (luciapg.Session, error) {
	s.reads.Add(1)
	return s.ThrottlingAdapter.GetSession(ctx, id)
}

// Logout records a logout with the session's label, taking the user from
// the session Middleware validated rather than reading it again.
func TestLogoutRecordsALogout(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		reads := &sessionReads{ThrottlingAdapter: adapter, AuditAdapter: adapter.(luciapg.AuditAdapter)}
		sessions := mustNew(t, f.auth.WithAdapter(reads), authhttp.Config{})
		sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			before := reads.reads.Load()
			if err := sessions.Logout(w, r); err != nil {
				t.Errorf("Logout: %v", err)
			}
			if n := reads.reads.Load() - before; n != 0 {
				t.Errorf("Logout read the session %d times, want 0", n)
			}
		})).ServeHTTP(httptest.NewRecorder(), requestWithCookie(http.MethodPost, f.session.ID))
		events, err := f.auth.AuditEvents(t.Context(), luciapg.AuditQuery{UserID: f.user.ID, Limit: 1})
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if len(events) != 1 || events[0].Kind != luciapg.AuditLogout || events[0].SessionLabel != auth.SessionLabel(f.session.ID) {
			t.Fatalf("the latest event: %+v, want the logout", events)
		}
	})
}

// Middleware's client costs what the address alone cost: one context
// value for both. Counted, not timed; not parallel (AllocsPerRun counts
// the process's allocations).
func TestWithClientCostsOneContextValue(t *testing.T) {
	ctx := context.Background()
	addressOnly := testing.AllocsPerRun(100, func() { _ = auth.WithClientAddress(ctx, "192.0.2.1") })
	both := testing.AllocsPerRun(100, func() { _ = auth.WithClient(ctx, "192.0.2.1", phoneAgent) })
	if both != addressOnly {
		t.Fatalf("WithClient allocates %v times, WithClientAddress %v: want the same", both, addressOnly)
	}
}
