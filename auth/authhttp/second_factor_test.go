package authhttp_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/internal/testclock"
	"github.com/luciapg/luciapg/memadapter"
)

// mfaFixture is an Auth with second factors, a user "ada" (password "pw")
// with an authenticator app, and Sessions over it.
type mfaFixture struct {
	auth     *auth.Auth
	clock    *clock
	sessions *authhttp.Sessions
	secret   string
}

func newMFAFixture(t *testing.T, adapter luciapg.ThrottlingAdapter, cfg authhttp.Config) mfaFixture {
	t.Helper()
	ctx := t.Context()
	c := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, err := auth.New(adapter, auth.Config{Now: c.Now, SecretKeys: []auth.SecretKey{{ID: "k", Key: bytes.Repeat([]byte{7}, 32)}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pw"}})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	result, err := a.BeginLogin(ctx, "username", "ada", "pw")
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	enrolment, err := a.BeginTOTPEnrollment(ctx, result.Session, "ada")
	if err != nil {
		t.Fatalf("BeginTOTPEnrollment: %v", err)
	}
	if err := a.ConfirmTOTPEnrollment(ctx, result.Session, totpCode(t, enrolment.Secret, c.Now())); err != nil {
		t.Fatalf("ConfirmTOTPEnrollment: %v", err)
	}
	c.Advance(30 * time.Second)
	return mfaFixture{auth: a, clock: c, sessions: mustNew(t, a, cfg), secret: enrolment.Secret}
}

// totpCode is oathtool's code of secret at the time at; a missing oathtool
// fails the test (CI installs it).
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	out, err := exec.Command("oathtool", "--totp", "-b", "--now", "@"+strconv.FormatInt(at.Unix(), 10), secret).Output()
	if err != nil {
		t.Fatalf("oathtool (apt-get install oathtool): %v", err)
	}
	return strings.TrimSpace(string(out))
}

// guarded serves r through Middleware and guard, and reports the response
// and whether the guarded handler ran.
func (f mfaFixture) guarded(guard func(http.Handler) http.Handler, r *http.Request) (*http.Response, bool) {
	called := false
	h := f.sessions.Middleware(guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		called = true
		w.WriteHeader(http.StatusNoContent)
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Result(), called
}

func request(method, target, sessionID string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Origin", "https://example.com")
	if sessionID != "" {
		r.AddCookie(&http.Cookie{Name: authhttp.DefaultCookieName, Value: sessionID})
	}
	return r
}

// TestRequireSecondFactorMiddleware: a session that has not proven the
// user's second factor is sent to Config.SecondFactorPath (GET, HEAD) with
// its path, or refused (other methods, or no path set); one that has is
// served; none at all is 401.
func TestRequireSecondFactorMiddleware(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		f := newMFAFixture(t, adapter, authhttp.Config{SecondFactorPath: "/login/second-factor?lang=en"})
		user, err := f.auth.GetKey(ctx, "username", "ada")
		if err != nil {
			t.Fatal(err)
		}
		luciaMade, err := f.auth.CreateSession(ctx, user.UserID)
		if err != nil {
			t.Fatal(err)
		}

		resp, called := f.guarded(f.sessions.RequireSecondFactor, request(http.MethodGet, "https://example.com/settings/profile?tab=2", luciaMade.ID))
		if called || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/second-factor?lang=en&next=%2Fsettings%2Fprofile" {
			t.Errorf("GET without a second factor: called %v, %d, Location %q", called, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, called = f.guarded(f.sessions.RequireSecondFactor, request(http.MethodPost, "https://example.com/settings/profile", luciaMade.ID))
		if called || resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST without a second factor: called %v, %d", called, resp.StatusCode)
		}
		resp, called = f.guarded(f.sessions.RequireSecondFactor, request(http.MethodGet, "https://example.com/x", ""))
		if called || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no session: called %v, %d", called, resp.StatusCode)
		}

		noPath := mustNew(t, f.auth, authhttp.Config{})
		f2 := f
		f2.sessions = noPath
		resp, called = f2.guarded(noPath.RequireSecondFactor, request(http.MethodGet, "https://example.com/x", luciaMade.ID))
		if called || resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET without a path configured: called %v, %d", called, resp.StatusCode)
		}

		if err := f.auth.ReauthenticateWithTOTP(ctx, luciaMade, totpCode(t, f.secret, f.clock.Now())); err != nil {
			t.Fatal(err)
		}
		resp, called = f.guarded(f.sessions.RequireSecondFactor, request(http.MethodPost, "https://example.com/settings/profile", luciaMade.ID))
		if !called || resp.StatusCode != http.StatusNoContent {
			t.Errorf("after a code: called %v, %d", called, resp.StatusCode)
		}
	})
}

// TestRequireSudoMiddleware: out of sudo mode, GET goes to Config.SudoPath
// and POST is refused; after a re-authentication both pass.
func TestRequireSudoMiddleware(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		f := newMFAFixture(t, adapter, authhttp.Config{SudoPath: "/reauthenticate"})
		result, err := f.auth.BeginLogin(ctx, "username", "ada", "pw")
		if err != nil {
			t.Fatal(err)
		}
		session, err := f.auth.CompleteLoginWithTOTP(ctx, result.Pending.Token, totpCode(t, f.secret, f.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(auth.DefaultSudoPeriod + time.Second)
		resp, called := f.guarded(f.sessions.RequireSudo, request(http.MethodGet, "https://example.com/settings/password", session.ID))
		if called || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reauthenticate?next=%2Fsettings%2Fpassword" {
			t.Errorf("GET out of sudo mode: called %v, %d, Location %q", called, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, called = f.guarded(f.sessions.RequireSudo, request(http.MethodPost, "https://example.com/settings/password", session.ID))
		if called || resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST out of sudo mode: called %v, %d", called, resp.StatusCode)
		}
		if err := f.auth.ReauthenticateWithPassword(ctx, session, "username", "ada", "pw"); err != nil {
			t.Fatal(err)
		}
		resp, called = f.guarded(f.sessions.RequireSudo, request(http.MethodPost, "https://example.com/settings/password", session.ID))
		if !called || resp.StatusCode != http.StatusNoContent {
			t.Errorf("in sudo mode: called %v, %d", called, resp.StatusCode)
		}
	})
}

// TestAttackOpenRedirectThroughNext: neither the redirect nor NextPath
// ever names another site, whatever the request's path or the link's next
// parameter; New refuses a configured path that is not local.
func TestAttackOpenRedirectThroughNext(t *testing.T) {
	t.Parallel()
	f := newMFAFixture(t, memadapterForTests(), authhttp.Config{SecondFactorPath: "/2fa"})
	ctx := t.Context()
	key, err := f.auth.GetKey(ctx, "username", "ada")
	if err != nil {
		t.Fatal(err)
	}
	session, err := f.auth.CreateSession(ctx, key.UserID)
	if err != nil {
		t.Fatal(err)
	}
	r := request(http.MethodGet, "https://example.com/", session.ID)
	r.URL.Path = "//evil.example/x"
	resp, _ := f.guarded(f.sessions.RequireSecondFactor, r)
	if loc := resp.Header.Get("Location"); loc != "/2fa" {
		t.Errorf("a request for //evil.example/x is sent to %q, want /2fa without next", loc)
	}

	for next, want := range map[string]string{
		"/settings":                "/settings",
		"/a/b?c=d":                 "/a/b?c=d",
		"":                         "/",
		"//evil.example":           "/",
		"///evil.example":          "/",
		`/\evil.example`:           "/",
		"/\t/evil.example":         "/",
		"https://evil.example/":    "/",
		"javascript:alert(1)":      "/",
		"evil.example":             "/",
		"/%0a/evil.example":        "/%0a/evil.example",
		"/ok\r\nSet-Cookie: x=1":   "/",
		"http:/evil.example":       "/",
		"\x00/evil":                "/",
		"/user@evil.example":       "/user@evil.example",
		"//user@evil.example/path": "/",
	} {
		r := httptest.NewRequest(http.MethodGet, "https://example.com/2fa?next="+url.QueryEscape(next), nil)
		if got := authhttp.NextPath(r); got != want {
			t.Errorf("NextPath with next=%q: %q, want %q", next, got, want)
		}
		if got := authhttp.IsLocalPath(next); got != (want == next) {
			t.Errorf("IsLocalPath(%q) = %v, want %v", next, got, want == next)
		}
	}

	for _, path := range []string{"https://evil.example/2fa", "//evil.example", "2fa", `/\evil`} {
		_, err := authhttp.New(f.auth, authhttp.Config{SecondFactorPath: path})
		if !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("SecondFactorPath %q: %v, want ErrInvalidConfig", path, err)
		}
		_, err = authhttp.New(f.auth, authhttp.Config{SudoPath: path})
		if !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("SudoPath %q: %v, want ErrInvalidConfig", path, err)
		}
	}
}

// TestPendingLoginCookie: Sessions.BeginLogin sets a __Host- pending cookie
// for a user with a second factor (a plain one in local development), the
// second step reads it back, and CompleteLogin swaps it for the session
// cookie.
func TestPendingLoginCookie(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newMFAFixture(t, adapter, authhttp.Config{})
		ctx := auth.WithClientAddress(t.Context(), "192.0.2.1")

		rec := httptest.NewRecorder()
		result, err := f.sessions.BeginLogin(ctx, rec, "username", "ada", "pw")
		if err != nil || result.Pending == nil {
			t.Fatalf("BeginLogin: %+v, %v", result, err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("BeginLogin set %d cookies, want the pending one", len(cookies))
		}
		c := cookies[0]
		if c.Name != "__Host-luciapg_pending_login" || c.Value != result.Pending.Token || !c.Secure || !c.HttpOnly ||
			c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || !c.Expires.Equal(result.Pending.Expires.Truncate(time.Second)) {
			t.Errorf("pending cookie %+v", c)
		}

		r := httptest.NewRequest(http.MethodPost, "https://example.com/login/second-factor", nil)
		r.AddCookie(c)
		token := f.sessions.PendingLoginToken(r)
		if token != result.Pending.Token {
			t.Fatal("PendingLoginToken does not read the cookie back")
		}
		session, err := f.auth.CompleteLoginWithTOTP(ctx, token, totpCode(t, f.secret, f.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		rec = httptest.NewRecorder()
		f.sessions.CompleteLogin(rec, session)
		got := map[string]*http.Cookie{}
		for _, c := range rec.Result().Cookies() {
			got[c.Name] = c
		}
		if s := got[authhttp.DefaultCookieName]; s == nil || s.Value != session.ID {
			t.Errorf("CompleteLogin's session cookie: %+v", s)
		}
		if p := got["__Host-luciapg_pending_login"]; p == nil || p.Value != "" || p.MaxAge >= 0 {
			t.Errorf("CompleteLogin does not clear the pending cookie: %+v", p)
		}
		if f.sessions.PendingLoginToken(httptest.NewRequest(http.MethodGet, "/", nil)) != "" {
			t.Error("PendingLoginToken without a cookie")
		}

		// Local development: no Secure, so no __Host- prefix either.
		local := mustNew(t, f.auth, authhttp.Config{LocalDevelopment: true})
		rec = httptest.NewRecorder()
		if _, err := local.BeginLogin(ctx, rec, "username", "ada", "pw"); err != nil {
			t.Fatal(err)
		}
		if c := rec.Result().Cookies()[0]; c.Name != "luciapg_pending_login" || c.Secure {
			t.Errorf("local development's pending cookie %+v", c)
		}
	})
}

func memadapterForTests() luciapg.ThrottlingAdapter { return memadapter.New() }
