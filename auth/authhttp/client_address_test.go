package authhttp_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/internal/testclock"
	"github.com/luciapg/luciapg/memadapter"
)

func TestClientAddress(t *testing.T) {
	t.Parallel()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	direct := mustNew(t, a, authhttp.Config{})
	proxied := mustNew(t, a, authhttp.Config{ClientAddressHeader: "x-forwarded-for"})
	tests := []struct {
		name       string
		sessions   *authhttp.Sessions
		remoteAddr string
		header     []string // X-Forwarded-For lines
		want       string
	}{
		{"peer", direct, "192.0.2.1:1234", nil, "192.0.2.1"},
		{"IPv6 peer", direct, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv4-mapped peer", direct, "[::ffff:192.0.2.1]:80", nil, "192.0.2.1"},
		{"peer without a port", direct, "192.0.2.1", nil, "192.0.2.1"},
		{"header ignored unless configured", direct, "192.0.2.1:1234", []string{"203.0.113.5"}, "192.0.2.1"},
		{"right-most entry", proxied, "10.0.0.1:5555", []string{"203.0.113.5, 198.51.100.7"}, "198.51.100.7"},
		{"a client's forged entries are left of the proxy's", proxied, "10.0.0.1:5555", []string{"1.2.3.4, 5.6.7.8, 198.51.100.7"}, "198.51.100.7"},
		{"several header lines: the last line's last entry", proxied, "10.0.0.1:5555", []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7"},
		{"entry with a port", proxied, "10.0.0.1:5555", []string{"198.51.100.7:4711"}, "198.51.100.7"},
		{"bracketed IPv6 entry", proxied, "10.0.0.1:5555", []string{"[2001:db8::9]"}, "2001:db8::9"},
		{"missing header: the peer", proxied, "10.0.0.1:5555", nil, "10.0.0.1"},
		{"garbage entry: the peer", proxied, "10.0.0.1:5555", []string{"198.51.100.7, unknown"}, "10.0.0.1"},
		{"empty last entry: the peer", proxied, "10.0.0.1:5555", []string{"198.51.100.7, "}, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remoteAddr
			for _, line := range tt.header {
				r.Header.Add("X-Forwarded-For", line)
			}
			if got := tt.sessions.ClientAddress(r); got != tt.want {
				t.Fatalf("ClientAddress = %q, want %q", got, tt.want)
			}
		})
	}
}

// A login handler behind Middleware is throttled per client address with
// no code of its own, answers 429 with Retry-After, and another address is
// unaffected. Forged X-Forwarded-For entries do not buy fresh attempts.
func TestMiddlewareThrottlesLoginsPerAddress(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		// A stopped clock: the block must not run out between attempts,
		// however slow the machine.
		c := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		a, err := auth.New(adapter, auth.Config{Now: c.Now, PasswordHasher: plainHasher{}, AddressThrottle: luciapg.ThrottlePolicy{FreeAttempts: 3}})
		if err != nil {
			t.Fatal(err)
		}
		sessions := mustNew(t, a, authhttp.Config{ClientAddressHeader: "X-Forwarded-For"})
		var seenAddress string
		handler := sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seenAddress, _ = auth.ClientAddress(r.Context())
			_, err := a.UseKey(r.Context(), "username", r.FormValue("username"), "guess")
			switch {
			case authhttp.TooManyAttempts(w, err):
			case errors.Is(err, luciapg.ErrInvalidKeyID):
				http.Error(w, "wrong username or password", http.StatusUnauthorized)
			default:
				http.Error(w, fmt.Sprint(err), http.StatusInternalServerError)
			}
		}))
		login := func(clientAddr, forged, username string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "https://example.com/login?username="+username, nil)
			r.Header.Set("Origin", "https://example.com")
			r.RemoteAddr = "10.0.0.1:5555" // the proxy
			r.Header.Set("X-Forwarded-For", forged+clientAddr)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, r)
			return rec
		}
		for i, name := range []string{"a", "b", "c"} {
			if rec := login("198.51.100.7", fmt.Sprintf("10.9.9.%d, ", i), name); rec.Code != http.StatusUnauthorized {
				t.Fatalf("guess %d: status %d (%s), want 401", i+1, rec.Code, rec.Body)
			}
		}
		if seenAddress != "198.51.100.7" {
			t.Fatalf("the handler's context carried address %q, want 198.51.100.7", seenAddress)
		}
		rec := login("198.51.100.7", "10.9.9.9, ", "d")
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("fourth guess: status %d, Retry-After %q; want 429, 1", rec.Code, rec.Header().Get("Retry-After"))
		}
		if rec := login("203.0.113.1", "", "d"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("a guess from another address: status %d, want 401", rec.Code)
		}
	})
}

// plainHasher stores passwords as they are: these tests are about HTTP,
// and scrypt would only slow them down (seconds under the race detector).
type plainHasher struct{}

func (plainHasher) Hash(password string) (string, error) { return "plain:" + password, nil }

func (plainHasher) Verify(hash, password string) (bool, error) { return hash == "plain:"+password, nil }

func TestTooManyAttempts(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if authhttp.TooManyAttempts(rec, auth.ErrInvalidPassword) || authhttp.TooManyAttempts(rec, nil) {
		t.Fatal("TooManyAttempts answered an error that is not throttling")
	}
	if rec.Code != http.StatusOK || len(rec.Header()) != 0 || rec.Body.Len() != 0 {
		t.Fatalf("TooManyAttempts wrote %d %v %q for other errors, want nothing", rec.Code, rec.Header(), rec.Body)
	}
	for wait, want := range map[time.Duration]string{
		1200 * time.Millisecond: "2", time.Second: "1", time.Millisecond: "1", 15 * time.Minute: "900",
	} {
		rec := httptest.NewRecorder()
		err := fmt.Errorf("logging in: %w", &auth.TooManyAttemptsError{RetryAfter: wait})
		if !authhttp.TooManyAttempts(rec, err) {
			t.Fatalf("TooManyAttempts(%v) = false for a wrapped throttling error", err)
		}
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != want {
			t.Fatalf("wait %v: status %d, Retry-After %q; want 429, %s", wait, rec.Code, rec.Header().Get("Retry-After"), want)
		}
	}
}

// Every cookie the zero Config makes is Secure, whatever the request's
// scheme: only Config.LocalDevelopment drops it.
func TestCookiesAreSecureByDefault(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memadapter.New(memadapter.Column{Name: "username"}), authhttp.Config{})
	rec := httptest.NewRecorder()
	session, err := f.sessions.Login(t.Context(), rec, f.user.ID)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	cookies := append(rec.Result().Cookies(), f.sessions.Cookie(session), f.sessions.BlankCookie())
	r := httptest.NewRequest(http.MethodPost, "http://example.com/logout", nil)
	r.AddCookie(&http.Cookie{Name: authhttp.DefaultCookieName, Value: session.ID})
	out := httptest.NewRecorder()
	if err := f.sessions.Logout(out, r); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	cookies = append(cookies, out.Result().Cookies()...)
	if len(cookies) != 4 {
		t.Fatalf("got %d cookies, want 4", len(cookies))
	}
	for _, c := range cookies {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %+v: want Secure, HttpOnly, SameSite=Lax", c)
		}
	}
}
