package authhttp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/internal/testclock"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// eachBackend runs test on the in-memory adapter and on the PostgreSQL
// Store, each fresh.
func eachBackend(t *testing.T, test func(t *testing.T, adapter luciapg.ThrottlingAdapter)) {
	t.Helper()
	backends := map[string]func(t *testing.T) luciapg.ThrottlingAdapter{
		"memory":   func(*testing.T) luciapg.ThrottlingAdapter { return memadapter.New(memadapter.Column{Name: "username"}) },
		"postgres": func(t *testing.T) luciapg.ThrottlingAdapter { return luciapg.New(testdb.New(t)) },
	}
	for name, newAdapter := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newAdapter(t))
		})
	}
}

// clock is a settable auth.Config.Now.
type clock = testclock.Clock

// fixture is an Auth with one user and a session, and Sessions over it.
type fixture struct {
	auth     *auth.Auth
	clock    *clock
	sessions *authhttp.Sessions
	user     luciapg.User
	session  auth.Session
}

// mustNew is authhttp.New for a configuration the test knows is valid.
func mustNew(t testing.TB, a *auth.Auth, cfg authhttp.Config) *authhttp.Sessions {
	t.Helper()
	s, err := authhttp.New(a, cfg)
	if err != nil {
		t.Fatalf("authhttp.New: %v", err)
	}
	return s
}

func newFixture(t testing.TB, adapter luciapg.ThrottlingAdapter, cfg authhttp.Config) fixture {
	t.Helper()
	c := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, err := auth.New(adapter, auth.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	user, err := a.CreateUser(t.Context(), auth.CreateUserParams{Attributes: map[string]any{"username": "ada"}})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	session, err := a.CreateSession(t.Context(), user.ID)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return fixture{auth: a, clock: c, sessions: mustNew(t, a, cfg), user: user, session: session}
}

// seen is what the wrapped handler observed.
type seen struct {
	called     bool
	hasSession bool
	session    auth.Session
	user       luciapg.User
}

// serve sends r through the middleware and reports the response and what
// the handler saw.
func (f fixture) serve(r *http.Request) (*http.Response, seen) {
	var s seen
	handler := f.sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.called = true
		s.session, s.user, s.hasSession = authhttp.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, r)
	return rec.Result(), s
}

func requestWithCookie(method, value string) *http.Request {
	r := httptest.NewRequest(method, "https://example.com/", nil)
	if method != http.MethodGet && method != http.MethodHead {
		r.Header.Set("Origin", "https://example.com")
	}
	if value != "" {
		r.AddCookie(&http.Cookie{Name: authhttp.DefaultCookieName, Value: value})
	}
	return r
}

// sessionCookie returns the response's session cookie, or nil.
func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == authhttp.DefaultCookieName {
			return c
		}
	}
	return nil
}

func TestMiddlewareWithoutCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memadapter.New(memadapter.Column{Name: "username"}), authhttp.Config{})
	resp, s := f.serve(requestWithCookie(http.MethodGet, ""))
	if !s.called || s.hasSession || sessionCookie(resp) != nil {
		t.Fatalf("no cookie: handler called %v, session %v, Set-Cookie %v; want called, no session, no cookie",
			s.called, s.hasSession, sessionCookie(resp))
	}
}

func TestMiddlewareActiveSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		resp, s := f.serve(requestWithCookie(http.MethodPost, f.session.ID))
		if !s.called || !s.hasSession || s.session.ID != f.session.ID || s.user.ID != f.user.ID ||
			s.user.Attributes["username"] != "ada" {
			t.Fatalf("active session: handler saw %+v, want session %s of user %s", s, f.session.ID, f.user.ID)
		}
		if c := sessionCookie(resp); c != nil {
			t.Fatalf("active session: Set-Cookie %v, want none", c)
		}
	})
}

func TestMiddlewareRenewsIdleSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		f.clock.Advance(36 * time.Hour)
		// Plain http: Secure must not depend on the request's scheme.
		r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
		r.AddCookie(&http.Cookie{Name: authhttp.DefaultCookieName, Value: f.session.ID})
		resp, s := f.serve(r)
		if !s.hasSession || !s.session.Fresh || s.session.ID != f.session.ID {
			t.Fatalf("idle session: handler saw %+v, want session %s renewed in place", s, f.session.ID)
		}
		c := sessionCookie(resp)
		if c == nil {
			t.Fatal("idle session: no Set-Cookie for the renewed session")
		}
		wantExpires := f.clock.Now().Add(auth.DefaultActivePeriod + auth.DefaultIdlePeriod)
		if c.Value != s.session.ID || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode ||
			c.Path != "/" || !c.Expires.Equal(wantExpires) {
			t.Fatalf("renewed cookie %+v: want the same id, HttpOnly, Secure, SameSite=Lax, Path=/, expiring %v", c, wantExpires)
		}
	})
}

func TestMiddlewareClearsInvalidCookie(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{})
		f.clock.Advance(16 * 24 * time.Hour) // past the idle expiry
		for _, value := range []string{f.session.ID, "short", "0123456789012345678901234567890123456789"} {
			resp, s := f.serve(requestWithCookie(http.MethodGet, value))
			if !s.called || s.hasSession {
				t.Fatalf("invalid cookie %q: handler called %v with session %v, want called without", value, s.called, s.hasSession)
			}
			c := sessionCookie(resp)
			if c == nil || c.Value != "" || c.MaxAge >= 0 || !c.Expires.Before(time.Unix(1, 0)) {
				t.Fatalf("invalid cookie %q: Set-Cookie %+v, want a blank, expired cookie", value, c)
			}
		}
	})
}

func TestMiddlewareRefusesCrossOriginBeforeTouchingTheSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memadapter.New(memadapter.Column{Name: "username"}), authhttp.Config{})
	r := requestWithCookie(http.MethodPost, f.session.ID)
	r.Header.Set("Origin", "https://evil.example")
	f.clock.Advance(36 * time.Hour) // idle: a validation would renew it
	resp, s := f.serve(r)
	if resp.StatusCode != http.StatusForbidden || s.called || sessionCookie(resp) != nil {
		t.Fatalf("cross-origin POST: status %d, handler called %v, Set-Cookie %v; want 403, not called, no cookie",
			resp.StatusCode, s.called, sessionCookie(resp))
	}
}

// A database failure is not an invalid session: the user keeps the cookie
// and the request gets the error handler.
func TestMiddlewareDatabaseError(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	var handled error
	f := newFixture(t, luciapg.New(pool), authhttp.Config{
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			handled = err
			w.WriteHeader(http.StatusServiceUnavailable)
		},
	})
	pool.Close()
	resp, s := f.serve(requestWithCookie(http.MethodGet, f.session.ID))
	if resp.StatusCode != http.StatusServiceUnavailable || handled == nil || s.called || sessionCookie(resp) != nil {
		t.Fatalf("closed pool: status %d, error %v, handler called %v, Set-Cookie %v; want 503 from the error handler, no cookie",
			resp.StatusCode, handled, s.called, sessionCookie(resp))
	}

	var logged bytes.Buffer
	plain := mustNew(t, f.auth, authhttp.Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	rec := httptest.NewRecorder()
	plain.Middleware(http.NotFoundHandler()).ServeHTTP(rec, requestWithCookie(http.MethodGet, f.session.ID))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("closed pool, default error handler: status %d, want 500", rec.Code)
	}
	if logged.Len() == 0 || strings.Contains(logged.String(), f.session.ID) || strings.Contains(rec.Body.String(), f.session.ID) {
		t.Fatalf("log %q, body %q: want the failure logged, and the session id nowhere", logged.String(), rec.Body.String())
	}
}

func TestLoginLogoutAndRequireSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newFixture(t, adapter, authhttp.Config{LocalDevelopment: true, CookieName: "sid"})
		rec := httptest.NewRecorder()
		session, err := f.sessions.Login(t.Context(), rec, f.user.ID)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 || cookies[0].Name != "sid" || cookies[0].Value != session.ID || cookies[0].Secure {
			t.Fatalf("Login cookies %+v, want one sid cookie with the session id, not Secure in local development", cookies)
		}

		protected := f.sessions.Middleware(f.sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := f.sessions.Logout(w, r); err != nil {
				t.Errorf("Logout: %v", err)
			}
		})))
		anonymous := httptest.NewRecorder()
		protected.ServeHTTP(anonymous, httptest.NewRequest(http.MethodGet, "/", nil))
		if anonymous.Code != http.StatusUnauthorized {
			t.Fatalf("RequireSession without a session: status %d, want 401", anonymous.Code)
		}

		r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/logout", nil)
		r.Header.Set("Origin", "http://localhost:8080")
		r.AddCookie(cookies[0])
		out := httptest.NewRecorder()
		protected.ServeHTTP(out, r)
		blank := out.Result().Cookies()
		if out.Code != http.StatusOK || len(blank) != 1 || blank[0].Value != "" || blank[0].MaxAge >= 0 {
			t.Fatalf("Logout: status %d, cookies %+v; want 200 and one blank, expired cookie", out.Code, blank)
		}
		if _, err := f.auth.ValidateSession(t.Context(), session.ID); err == nil {
			t.Fatal("the session is still valid after Logout")
		}

		// Logout outside the middleware finds the session through the cookie.
		other, err := f.auth.CreateSession(t.Context(), f.user.ID)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		r = httptest.NewRequest(http.MethodPost, "/logout", nil)
		r.AddCookie(&http.Cookie{Name: "sid", Value: other.ID})
		if err := f.sessions.Logout(httptest.NewRecorder(), r); err != nil {
			t.Fatalf("Logout: %v", err)
		}
		if _, err := f.auth.ValidateSession(t.Context(), other.ID); err == nil {
			t.Fatal("the session is still valid after Logout by cookie")
		}
	})
}

func TestNewContext(t *testing.T) {
	t.Parallel()
	if _, _, ok := authhttp.FromContext(context.Background()); ok {
		t.Fatal("FromContext of an empty context reports a session")
	}
	session := auth.Session{ID: "s", UserID: "u", State: auth.SessionActive}
	user := luciapg.User{ID: "u"}
	gotSession, gotUser, ok := authhttp.FromContext(authhttp.NewContext(context.Background(), session, user))
	if !ok || gotSession != session || gotUser.ID != "u" {
		t.Fatalf("FromContext(NewContext) = %+v, %+v, %v", gotSession, gotUser, ok)
	}
}
