package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary serve the Go stacks: run re-executes its
// own binary with -serve, as the command does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := serveMain(os.Args[2:]); err != nil {
			os.Stderr.WriteString("e2e server: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lockedBuffer collects the run's progress from several goroutines.
// testURL is TEST_DATABASE_URL, which the end-to-end tests need.
func testURL(t *testing.T) string {
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		t.Fatal("TEST_DATABASE_URL is not set: make test sets it (the end-to-end smoke needs PostgreSQL)")
	}
	return url
}

// captureRun sends the run's progress to a buffer for the test's
// failure message, and gives a directory for its results.
func captureRun(t *testing.T) (*lockedBuffer, string) {
	log := &lockedBuffer{}
	progress = log
	t.Cleanup(func() { progress = os.Stderr })
	return log, t.TempDir()
}

// scratchName is prefix and a random suffix: a database of the test's own.
func scratchName(prefix string) string {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	return prefix + hex.EncodeToString(suffix)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSmoke runs every stack for one short round, so that the benchmark
// cannot rot: every row serves the protected endpoint and logs out, every
// revocation is refused on the second instance but Better Auth's cookie
// cache, which must still serve it at the cap. A stack that cannot run
// (node or the npm packages missing, a server crashing) fails the test.
// It asserts nothing about speed.
func TestSmoke(t *testing.T) {
	log, dir := captureRun(t)
	cfg, err := parseFlags([]string{
		"-url", testURL(t), "-db", scratchName("luciapg_e2e_smoke_"), "-out", dir, "-node-dir", "node",
		"-rounds", "1", "-warmup", "200ms", "-duration", "1s", "-conns", "8", "-sessions", "12", "-users", "3",
		"-login-conns", "2", "-login-duration", "1s", "-logouts", "6", "-revocations", "3", "-revocation-cap", "3s",
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := run(t.Context(), cfg); err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, log)
	}
	t.Logf("the smoke ran in %v", time.Since(start).Round(time.Second))
	data, err := os.ReadFile(filepath.Join(dir, "e2e.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got results
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	rows := map[string]row{}
	for _, r := range got.Rows {
		rows[r.Stack] = r
	}
	for _, s := range stacks {
		r, ok := rows[s.name]
		switch {
		case !ok:
			t.Errorf("%s: no row", s.name)
			continue
		case r.Missing != "":
			t.Errorf("%s: MISSING: %s", s.name, r.Missing)
			continue
		case len(r.Protected) != 1 || r.Protected[0].Requests == 0 || r.Protected[0].Errors != 0:
			t.Errorf("%s: GET /me rounds %+v, want one round of requests answered 200, none refused", s.name, r.Protected)
		}
		if s.ceiling {
			continue
		}
		if len(r.Logout) != 1 || r.Logout[0].Requests != 6 {
			t.Errorf("%s: logout rounds %+v, want one round of 6 logouts answered 200", s.name, r.Logout)
		}
		if len(r.Login) != 1 {
			t.Errorf("%s: %d login rounds, want 1", s.name, len(r.Login))
		}
		v := r.Revocation
		if s.servesRevoked {
			if v.StillServed == 0 {
				t.Errorf("%s: the revoked session was refused within %v (%+v); its cookie cache should serve it for 300 s", s.name, cfg.RevocationCap, v)
			}
			continue
		}
		if v.Trials != 3 || v.StillServed != 0 {
			t.Errorf("%s: revocation %+v, want 3 trials, each refused on the second instance", s.name, v)
		}
	}
	if t.Failed() {
		t.Logf("progress:\n%s", log)
	}
}

// TestMissingPeerFailsTheRun runs a stack whose npm packages are not
// installed next to the Go ceiling: the run writes the ceiling's row and
// the stack as MISSING with the reason, and fails naming it.
func TestMissingPeerFailsTheRun(t *testing.T) {
	log, dir := captureRun(t)
	cfg, err := parseFlags([]string{
		"-url", testURL(t), "-db", scratchName("luciapg_e2e_missing_"), "-out", dir,
		"-node-dir", t.TempDir(), // no node_modules
		"-stacks", "go-ceiling,lucia-v1", "-rounds", "1", "-warmup", "0s", "-duration", "200ms", "-conns", "2", "-sessions", "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	err = run(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "MISSING: lucia-v1") {
		t.Fatalf("run returned %v, want an error naming lucia-v1 as missing\nprogress:\n%s", err, log)
	}
	md, readErr := os.ReadFile(filepath.Join(dir, "e2e.md"))
	if readErr != nil {
		t.Fatal(readErr)
	}
	for _, want := range []string{"| lucia-v1 | MISSING |", "**lucia-v1**: MISSING", "| go-ceiling | "} {
		if !strings.Contains(string(md), want) {
			t.Errorf("e2e.md lacks %q:\n%s", want, md)
		}
	}
}
