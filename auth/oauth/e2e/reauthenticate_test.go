package e2e

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
)

// reauthenticate runs the flow as login and finishes it with
// Reauthenticate for session.
func (e *env) reauthenticate(t *testing.T, login string, session auth.Session) (auth.Key, error) {
	t.Helper()
	authURL, cookie := e.start(t)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, e.authorize(t, authURL, login), nil)
	req.AddCookie(cookie)
	return e.flow.Reauthenticate(httptest.NewRecorder(), req, session)
}

// Sudo mode through the provider: only the provider account linked to the
// session's user makes the session freshly authenticated. Another user's
// account, or one linked to nobody (a thief's own, with a stolen
// session), is refused and writes nothing: no user, no key, no freshness.
func TestReauthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	owner := e.signIn(t, "4242", "")
	e.signIn(t, "5151", "") // another user
	// A session with no factor record, as a Lucia v1 app makes them: never
	// freshly authenticated.
	session, err := e.auth.CreateSession(t.Context(), owner.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.RequireSudo(t.Context(), session); !errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("RequireSudo before re-authenticating: %v, want ErrSudoRequired", err)
	}

	for _, login := range []string{"5151", "31337"} {
		_, err := e.reauthenticate(t, login, session)
		refused(t, err, oauth.ErrNotLinkedToUser)
		if err := e.auth.RequireSudo(t.Context(), session); !errors.Is(err, auth.ErrSudoRequired) {
			t.Errorf("RequireSudo after re-authenticating as %s: %v, want ErrSudoRequired", login, err)
		}
	}
	e.wantRows(t, 2, 2)

	key, err := e.reauthenticate(t, "4242", session)
	if err != nil {
		t.Fatalf("re-authenticating with the user's own account: %v", err)
	}
	if key.UserID != owner.User.ID || key.ProviderUserID != "4242" {
		t.Errorf("the key: %+v, want github:4242 of %s", key, owner.User.ID)
	}
	if err := e.auth.RequireSudo(t.Context(), session); err != nil {
		t.Errorf("RequireSudo after re-authenticating: %v", err)
	}
	e.wantRows(t, 2, 2)
}
