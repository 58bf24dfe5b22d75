package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

// An idle cookie, a request through Middleware (which renews the
// session), then Logout: the cookie the browser sent no longer validates.
// With Lucia v1's renewal the middleware created a new session, Logout
// ended only that one, and the old cookie kept working.
func TestLogoutEndsTheIdleSessionPresented(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		f.clock.Advance(36 * time.Hour) // idle
		var inContext auth.Session
		handler := f.sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inContext, _, _ = authhttp.FromContext(r.Context())
			if err := f.sessions.Logout(w, r); err != nil {
				t.Errorf("Logout: %v", err)
			}
		}))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, requestWithCookie(http.MethodPost, f.session.ID))
		if !inContext.Fresh {
			t.Fatalf("the handler saw %+v, want the renewed session", inContext)
		}
		for name, id := range map[string]string{"the cookie's session": f.session.ID, "the context's session": inContext.ID} {
			if _, err := f.auth.ValidateSession(t.Context(), id); err == nil {
				t.Fatalf("%s still validates after Logout", name)
			}
		}
		// The browser replays the old cookie: it is refused and cleared.
		resp, s := f.serve(requestWithCookie(http.MethodGet, f.session.ID))
		if s.hasSession || sessionCookie(resp) == nil || sessionCookie(resp).Value != "" {
			t.Fatalf("replayed cookie after Logout: session %v, Set-Cookie %v; want no session and a cleared cookie", s.hasSession, sessionCookie(resp))
		}
		rows, err := adapter.GetSessionsByUserID(t.Context(), f.user.ID)
		if err != nil {
			t.Fatalf("GetSessionsByUserID: %v", err)
		}
		if len(rows) != 0 {
			t.Fatalf("%d sessions left after Logout, want 0", len(rows))
		}
	})
}

// Logout ends both the session the cookie names and the one in the
// context, when a caller's context holds another.
func TestLogoutEndsCookieAndContextSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		other, err := f.auth.CreateSession(t.Context(), f.user.ID)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		r := requestWithCookie(http.MethodPost, f.session.ID)
		r = r.WithContext(authhttp.NewContext(r.Context(), other, f.user))
		rec := httptest.NewRecorder()
		if err := f.sessions.Logout(rec, r); err != nil {
			t.Fatalf("Logout: %v", err)
		}
		for _, id := range []string{f.session.ID, other.ID} {
			if _, err := f.auth.ValidateSession(t.Context(), id); err == nil {
				t.Fatal("a session of the request still validates after Logout")
			}
		}
		if c := sessionCookie(rec.Result()); c == nil || c.Value != "" || c.MaxAge >= 0 {
			t.Fatalf("Logout Set-Cookie %+v, want a blank, expired cookie", c)
		}
	})
}
