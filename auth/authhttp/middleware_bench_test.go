package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// benchWriter is a ResponseWriter that keeps nothing but its header, so
// that the benchmark times the middleware, not a recorder.
type benchWriter struct{ header http.Header }

func (w *benchWriter) Header() http.Header         { return w.header }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(int)             {}

// BenchmarkMiddleware times a request through Middleware over the
// session cache (a hit, as on a busy server), against the same handler
// with no middleware ("bare"): the difference is what the HTTP glue, the
// auth core and a cache hit add to each request.
func BenchmarkMiddleware(b *testing.B) {
	url := testdb.NewURL(b)
	cache, err := sessioncache.New(b.Context(), luciapg.New(testdb.Pool(b, url, 4)), sessioncache.Config{ConnString: url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cache.Close() })
	a, err := auth.New(cache, auth.Config{})
	if err != nil {
		b.Fatal(err)
	}
	user, err := a.CreateUser(b.Context(), auth.CreateUserParams{Attributes: map[string]any{"username": "ada"}})
	if err != nil {
		b.Fatal(err)
	}
	session, err := a.CreateSession(b.Context(), user.ID)
	if err != nil {
		b.Fatal(err)
	}
	sessions := mustNew(b, a, authhttp.Config{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, user, ok := authhttp.FromContext(r.Context()); ok {
			_, _ = w.Write([]byte(user.ID))
			return
		}
		_, _ = w.Write([]byte("anonymous"))
	})
	r := httptest.NewRequest(http.MethodGet, "http://example.com/me", nil)
	r.RemoteAddr = "192.0.2.1:43210"
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")
	r.AddCookie(&http.Cookie{Name: authhttp.DefaultCookieName, Value: session.ID})
	w := &benchWriter{header: http.Header{}}
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			handler.ServeHTTP(w, r)
		}
	})
	b.Run("middleware", func(b *testing.B) {
		mw := sessions.Middleware(handler)
		for range 10 { // until the cache serves it
			mw.ServeHTTP(w, r)
		}
		b.ReportAllocs()
		for b.Loop() {
			mw.ServeHTTP(w, r)
		}
	})
}
