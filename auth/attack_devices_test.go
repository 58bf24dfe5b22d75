package auth_test

import (
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// twoUsers signs Alice and Mallory up and logs each in; it returns their
// sessions.
func twoUsers(t *testing.T, a *auth.Auth) (alice, mallory auth.Session) {
	t.Helper()
	ctx := t.Context()
	signUp(t, a, "alice", "alice's password")
	signUp(t, a, "mallory", "mallory's password")
	return passwordLogin(t, ctx, a, "alice", "alice's password"), passwordLogin(t, ctx, a, "mallory", "mallory's password")
}

// stillValid fails the test unless the session validates.
func stillValid(t *testing.T, a *auth.Auth, session auth.Session, who string) {
	t.Helper()
	if _, err := a.ValidateSession(t.Context(), session.ID); err != nil {
		t.Fatalf("%s's session no longer validates: %v", who, err)
	}
}

// Mallory names Alice's session by its label (which an audit event or a
// shared screenshot may show): RevokeSession only ever looks among the
// caller's own sessions, so it is ErrSessionNotFound and Alice stays
// signed in.
func TestAttackRevokeAnotherUsersSessionByLabel(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		alice, mallory := twoUsers(t, a)
		err := a.RevokeSession(t.Context(), mallory, auth.SessionLabel(alice.ID))
		wantErr(t, "RevokeSession of another user's label", err, auth.ErrSessionNotFound)
		stillValid(t, a, alice, "Alice")
		stillValid(t, a, mallory, "Mallory")
	})
}

// Mallory gives a session id where a label goes: Alice's (stolen), and her
// own. A label is never an id, so both are ErrSessionNotFound and nothing
// is deleted: an id must not become a second way to name a session.
func TestAttackRevokeAnotherUsersSessionByID(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		alice, mallory := twoUsers(t, a)
		wantErr(t, "RevokeSession with Alice's session id", a.RevokeSession(t.Context(), mallory, alice.ID), auth.ErrSessionNotFound)
		wantErr(t, "RevokeSession with Mallory's own session id", a.RevokeSession(t.Context(), mallory, mallory.ID), auth.ErrSessionNotFound)
		stillValid(t, a, alice, "Alice")
		stillValid(t, a, mallory, "Mallory")
	})
}
