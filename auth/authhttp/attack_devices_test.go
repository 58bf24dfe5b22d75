package authhttp_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

// victimFixture is f with a second user, Alice, signed in: the victim of
// f's user's requests.
func victimFixture(t *testing.T, adapter luciapg.ThrottlingAdapter) (fixture, luciapg.User, auth.Session) {
	t.Helper()
	f := newFixture(t, adapter, authhttp.Config{})
	alice, err := f.auth.CreateUser(t.Context(), auth.CreateUserParams{Attributes: map[string]any{"username": "alice"}})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	aliceSession, err := f.auth.CreateSession(t.Context(), alice.ID)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return f, alice, aliceSession
}

// through runs call inside Middleware for a request carrying cookie, and
// returns what it returned.
func through[T any](t *testing.T, f fixture, cookie string, call func(r *http.Request) T) T {
	t.Helper()
	var result T
	called := false
	f.sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		result = call(r)
	})).ServeHTTP(discard{}, requestWithCookie(http.MethodPost, cookie))
	if !called {
		t.Fatal("Middleware did not call the handler")
	}
	return result
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// A request of the fixture's user (Ada, the attacker here) names Alice's
// session by its label, then by its id: both are auth.ErrSessionNotFound,
// and Alice stays signed in.
func TestAttackRevokeAnotherUsersSessionOverHTTP(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f, _, aliceSession := victimFixture(t, adapter)
		for name, label := range map[string]string{"label": auth.SessionLabel(aliceSession.ID), "id": aliceSession.ID} {
			err := through(t, f, f.session.ID, func(r *http.Request) error { return f.sessions.RevokeSession(r, label) })
			if !errors.Is(err, auth.ErrSessionNotFound) {
				t.Fatalf("RevokeSession with Alice's session %s: %v, want auth.ErrSessionNotFound", name, err)
			}
		}
		if _, err := f.auth.ValidateSession(t.Context(), aliceSession.ID); err != nil {
			t.Fatalf("Alice's session no longer validates: %v", err)
		}
	})
}

// Ada asks for Alice's audit events by setting the query's UserID:
// AuditEvents reads only the requester's own, whatever the query says.
func TestAttackReadAnotherUsersAuditEvents(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f, alice, _ := victimFixture(t, adapter)
		type page struct {
			events []luciapg.AuditEvent
			err    error
		}
		got := through(t, f, f.session.ID, func(r *http.Request) page {
			events, err := f.sessions.AuditEvents(r, luciapg.AuditQuery{UserID: alice.ID})
			return page{events, err}
		})
		if got.err != nil {
			t.Fatalf("AuditEvents: %v", got.err)
		}
		if len(got.events) == 0 {
			t.Fatal("AuditEvents returned nothing: Ada's own sign-up and login should be there")
		}
		for _, ev := range got.events {
			if ev.UserID != f.user.ID {
				t.Fatalf("AuditEvents returned an event of user %q (%s) to %q", ev.UserID, ev.Kind, f.user.ID)
			}
		}
		// Without a session, nothing is read.
		if _, err := f.sessions.AuditEvents(requestWithCookie(http.MethodGet, ""), luciapg.AuditQuery{UserID: alice.ID}); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("AuditEvents without a session: %v, want luciapg.ErrInvalidSessionID", err)
		}
	})
}
