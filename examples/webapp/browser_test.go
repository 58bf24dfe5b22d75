package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/examples/testdb"
)

// testClock is the auth core's clock in the browser test, moved forward to
// let sessions go idle or die without waiting.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// logBuffer collects the app's log lines, for tests that check what
// never appears in them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningApp is the web app served on a loopback port, on a database of
// its own that it migrated itself, as on start.
type runningApp struct {
	app   *app
	url   string
	store *luciapg.Store
	// db is the app's database, for reading the outbox.
	db    *pgxpool.Pool
	clock *testClock
	// logs holds everything the app logged.
	logs *logBuffer
	// secure is whether the app sets Secure cookies and wants https
	// origins.
	secure bool
	// header is added to every request of the request method, as a proxy
	// in front of the app would add it.
	header http.Header
}

// startApp serves the app as `make webapp` does: plain HTTP on loopback,
// with -insecure-dev-cookies.
func startApp(t *testing.T) *runningApp {
	t.Helper()
	return startAppWith(t, appConfig{insecureDevCookies: true}, auth.Config{})
}

// startAppWith serves the app with cfg and an auth core configured by
// authCfg, whose clock is the returned app's.
func startAppWith(t *testing.T, cfg appConfig, authCfg auth.Config) *runningApp {
	t.Helper()
	return startAppOn(t, loopbackListener(t), cfg, authCfg)
}

// loopbackListener listens on a free loopback port: an app's address,
// known before the app is built (its mail links and OAuth callback need
// it, and a test OAuth provider needs the app's).
func loopbackListener(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// startAppOn is startAppWith serving on listener.
func startAppOn(t *testing.T, listener net.Listener, cfg appConfig, authCfg auth.Config) *runningApp {
	t.Helper()
	databaseURL := testdb.NewEmptyURL(t)
	db := testdb.Pool(t, databaseURL, 4)
	if err := migrate(context.Background(), db.Config().ConnConfig); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	store := luciapg.New(db)
	clock := &testClock{}
	authCfg.Now = clock.Now
	if len(authCfg.SecretKeys) == 0 {
		// A key of this test's own, as $TOTP_SECRET_KEYS gives one.
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (Go 1.24+)
		authCfg.SecretKeys = []auth.SecretKey{{ID: "test", Key: key}}
	}
	cfg.now = clock.Now
	logs := &logBuffer{}
	server := httptest.NewUnstartedServer(nil)
	_ = server.Listener.Close()
	server.Listener = listener
	if cfg.publicURL == "" {
		cfg.publicURL = "http://" + listener.Addr().String()
	}
	a, err := newApp(db, authCfg, slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), nil)), cfg)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	server.Config.Handler = a.routes()
	server.Start()
	// Before the database closes (cleanups run last registered first):
	// the server stops, then what the app does after its answers ends.
	t.Cleanup(func() {
		server.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.drain(ctx); err != nil {
			t.Errorf("finishing the app's work: %v", err)
		}
	})
	return &runningApp{app: a, url: server.URL, store: store, db: db, clock: clock, logs: logs, secure: !cfg.insecureDevCookies}
}

// origin is the Origin header a browser sends to the app: https when the
// app expects to sit behind a TLS proxy.
func (a *runningApp) origin() string {
	if a.secure {
		return "https://" + strings.TrimPrefix(a.url, "http://")
	}
	return a.url
}

// chromiumPath finds Debian's chromium. CI installs it (.ci/run), so a
// missing browser fails the test rather than skipping it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no chromium on PATH: install Debian's chromium package (apt-get install -y chromium; .ci/run does)")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns
// the context of its first tab, which is one "device".
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 800),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return browserCtx
}

// newDevice opens a tab with a cookie jar of its own: another device of
// the same user.
func newDevice(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a browser context: %v", err)
	}
	return ctx
}

// page drives one tab through the app.
type page struct {
	t   *testing.T
	ctx context.Context
	app *runningApp
}

// open loads path and returns where the browser ended up after redirects.
func (p *page) open(path string) string {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(p.app.url+path)); err != nil {
		p.t.Fatalf("opening %s: %v", path, err)
	}
	return p.location()
}

// submit fills the form fields (CSS selector to value), clicks button and
// waits for the page the form leads to, whose HTTP status it returns.
func (p *page) submit(fields map[string]string, button string) int64 {
	p.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for sel, value := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(sel), value))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(button)))
	resp, err := chromedp.RunResponse(p.ctx, steps...)
	if err != nil {
		p.t.Fatalf("submitting with %s: %v", button, err)
	}
	return resp.Status
}

// location is the current path and query.
func (p *page) location() string {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatalf("reading the location: %v", err)
	}
	return strings.TrimPrefix(loc, p.app.url)
}

// text returns the text of the first element matching sel, or "" when
// there is none.
func (p *page) text(sel string) string {
	p.t.Helper()
	text, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](
		fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel)))
	if err != nil {
		p.t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(text)
}

// wantText fails unless the element matching sel contains want.
func (p *page) wantText(sel, want string) {
	p.t.Helper()
	if got := p.text(sel); !strings.Contains(got, want) {
		p.t.Fatalf("at %s, %s reads %q; want it to contain %q\nbody: %s", p.location(), sel, got, want, p.text("body"))
	}
}

// wantLocation fails unless the browser is at path (and query).
func (p *page) wantLocation(want string) {
	p.t.Helper()
	if got := p.location(); got != want {
		p.t.Fatalf("browser at %s, want %s\nbody: %s", got, want, p.text("body"))
	}
}

// screenshot saves the whole page as name.png in the test's artifact
// directory (kept with go test -artifacts -outputdir DIR).
func (p *page) screenshot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(p.t.ArtifactDir(), name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// sessionCount counts the user's live sessions in the database (dead rows
// wait for a purge).
func (a *runningApp) sessionCount(t *testing.T, userID string) int {
	t.Helper()
	sessions, err := a.store.GetSessionsByUserID(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	now := a.clock.Now().UnixMilli()
	live := 0
	for _, s := range sessions {
		if now <= s.IdleExpires {
			live++
		}
	}
	return live
}

// userIDOf finds the user who logs in as username.
func (a *runningApp) userIDOf(t *testing.T, username string) string {
	t.Helper()
	key, err := a.store.GetKey(context.Background(), usernameProvider+":"+username)
	if errors.Is(err, luciapg.ErrInvalidKeyID) {
		t.Fatalf("no user %q", username)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key.UserID
}

// wantLocationAfterOpen opens path and fails unless the browser ends at
// want.
func (p *page) wantLocationAfterOpen(path, want string) {
	p.t.Helper()
	if got := p.open(path); got != want {
		p.t.Fatalf("opening %s led to %s, want %s\nbody: %s", path, got, want, p.text("body"))
	}
}

// navigateAway loads a page on another site.
func (p *page) navigateAway(url string) error {
	return chromedp.Do(p.ctx, chromedp.Navigate(url))
}

// count returns how many elements match sel.
func (p *page) count(sel string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		p.t.Fatalf("counting %s: %v", sel, err)
	}
	return n
}

// eval returns the value of a JavaScript expression in the page, as a
// string.
func (p *page) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}
