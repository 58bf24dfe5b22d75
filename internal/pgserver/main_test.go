package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary be the embedded server's helper, as
// pgserver is (startEmbedded runs its own executable).
func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(serveEmbedded(spec))
	}
	os.Exit(m.Run())
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// An explicit URL that leads nowhere is an error naming the variable, never
// replaced by the local server or a container, and without its password.
func TestExplicitURLIsNeverReplaced(t *testing.T) {
	url := "postgres://admin:hunter2@" + closedPort(t) + "/app?connect_timeout=5"
	s, err := find(context.Background(), options{env: "TEST_DATABASE_URL", local: localURL}, url)
	if err == nil {
		s.stop()
		t.Fatalf("found %s (%s), want an error", s.url, s.source)
	}
	if !strings.HasPrefix(err.Error(), "TEST_DATABASE_URL: ") {
		t.Errorf("error %q does not start with the variable's name", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q shows the password", err)
	}
}

// run gives the command the server's URL in the variable and exits with
// the command's status.
func TestRunPassesTheURLAndTheExitStatus(t *testing.T) {
	want := os.Getenv("TEST_DATABASE_URL")
	if want == "" {
		want = localURL
	}
	t.Setenv("TEST_DATABASE_URL", want)
	out := filepath.Join(t.TempDir(), "url")
	if code := run(options{env: "TEST_DATABASE_URL", local: localURL}, []string{"sh", "-c", `printf %s "$TEST_DATABASE_URL" >"$0"`, out}); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("the command saw %q, want %q", got, want)
	}
	if code := run(options{env: "TEST_DATABASE_URL", local: localURL}, []string{"sh", "-c", "exit 3"}); code != 3 {
		t.Errorf("exit status %d, want the command's 3", code)
	}
}
