package main

// The embedded fallback against real PostgreSQL binaries: those named by
// LUCIAPG_PG_BINARIES (.ci/run builds them: .ci/embedded-fallback), else
// the library's download. Without either the tests fail, saying what to
// set; they never skip.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// noServer are options under which only the embedded server is left: no
// server at -local, no Docker probe.
func noServer(t *testing.T) options {
	return options{env: "PGSERVER_TEST_URL", local: "postgres://postgres@" + closedPort(t) + "/postgres?sslmode=disable", docker: false}
}

// postmaster returns the server's data directory and its postmaster's pid.
func postmaster(t *testing.T, url string) (string, int) {
	t.Helper()
	ctx := context.Background()
	pool, err := luciapg.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var dir string
	if err := pool.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dir); err != nil {
		t.Fatal(err)
	}
	pidFile, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return dir, pid
}

// checkGone fails unless the postmaster pid has exited (a zombie waiting
// for init counts as exited), its run directory is removed and the port
// refuses connections.
func checkGone(t *testing.T, dataDir string, pid int, url string) {
	t.Helper()
	// pg_ctl stop returns once the postmaster has removed its pid file,
	// its last act before it exits: poll for the exit itself.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) { // a hang, not a measure
		if syscall.Kill(pid, 0) != nil {
			break
		}
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if fields := strings.Fields(string(stat)); len(fields) >= 3 && fields[2] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the postmaster (pid %d) is still running: %s", pid, stat)
			break
		}
	}
	if _, err := os.Stat(filepath.Dir(dataDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run directory %s is still there (%v)", filepath.Dir(dataDir), err)
	}
	if conn, err := net.Dial("tcp", hostOf(url)); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections", hostOf(url))
	}
}

// The fallback starts a server the command can use, as an unprivileged
// user when root, and stopping it leaves nothing: no process, no data.
// LUCIAPG_PG_BINARIES may also name a directory of binaries.
func TestEmbeddedServerStartsAndStops(t *testing.T) {
	opts := noServer(t)
	s, err := find(context.Background(), opts, "")
	if err != nil {
		t.Fatalf("%v\n(.ci/embedded-fallback archive FILE builds an archive for %s)", err, binariesEnv)
	}
	if !strings.Contains(s.source, "embedded PostgreSQL") {
		s.stop()
		t.Fatalf("source %q, want the embedded PostgreSQL", s.source)
	}
	dir, pid := postmaster(t, s.url)
	base := filepath.Dir(filepath.Dir(dir))
	if os.Geteuid() == 0 {
		info, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if uid := info.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Errorf("as root, the data directory %s belongs to root, want the server user's", dir)
		}
	}
	s.stop()
	checkGone(t, dir, pid, s.url)

	t.Run("a directory of binaries", func(t *testing.T) {
		t.Setenv(binariesEnv, filepath.Join(base, string(embeddedVersion)))
		s, err := find(context.Background(), opts, "")
		if err != nil {
			t.Fatal(err)
		}
		dir, pid := postmaster(t, s.url)
		s.stop()
		checkGone(t, dir, pid, s.url)
	})
}

// pgserverWithCommand builds pgserver and runs it, with nothing but the
// embedded server to find, on a command that writes the server's URL and
// sleeps; it returns the process (in a process group of its own, with its
// command), its exit, its stderr and the URL.
func pgserverWithCommand(t *testing.T) (*exec.Cmd, <-chan error, *strings.Builder, string, options) {
	t.Helper()
	tmp := t.TempDir()
	exe := filepath.Join(tmp, "pgserver")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	urlFile := filepath.Join(tmp, "url")
	opts := noServer(t)
	cmd := exec.Command(exe, "-docker=false", "-local", opts.local, "-env", opts.env, "--",
		"sh", "-c", `printf %s "$PGSERVER_TEST_URL" >"$0.new" && mv "$0.new" "$0" && exec sleep 600`, urlFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var url []byte
	for url == nil {
		select {
		case err := <-exited:
			t.Fatalf("pgserver ended before running the command: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
			url, _ = os.ReadFile(urlFile)
		}
	}
	return cmd, exited, stderr, string(url), opts
}

// A SIGINT to pgserver (no terminal) reaches the command; when it has
// ended, the server stops and its data goes. pgserver exits as a shell
// reports a command a signal ended.
func TestSIGINTLeavesNothingRunning(t *testing.T) {
	cmd, exited, stderr, url, opts := pgserverWithCommand(t)
	dir, pid := postmaster(t, url)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 130 {
			t.Errorf("pgserver ended with %v, want exit status 130 (the command's SIGINT)", err)
		}
	case <-time.After(2 * time.Minute): // a hang, not a measure
		t.Fatalf("pgserver still running 2 minutes after SIGINT\n%s", stderr.String())
	}
	checkGone(t, dir, pid, url)

	first, _, _ := strings.Cut(stderr.String(), "\n")
	for _, want := range []string{"no PGSERVER_TEST_URL, no server at " + hostOf(opts.local), "starting PostgreSQL " + string(embeddedVersion), "on 127.0.0.1:"} {
		if !strings.Contains(first, want) {
			t.Errorf("first line %q lacks %q", first, want)
		}
	}
	if os.Geteuid() == 0 && !strings.Contains(first, "as user ") {
		t.Errorf("first line %q does not name the user the server runs as", first)
	}
}

// When pgserver is killed outright (with its command), its helper still
// stops the server and removes the data: its stdin closes.
func TestSIGKILLOfPgserverLeavesNothingRunning(t *testing.T) {
	cmd, exited, _, url, _ := pgserverWithCommand(t)
	dir, pid := postmaster(t, url)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	// The helper stops the server after pgserver is gone: poll until the
	// run directory (removed last) is gone.
	deadline := time.Now().Add(2 * time.Minute) // a hang, not a measure
	for {
		if _, err := os.Stat(filepath.Dir(dir)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run directory %s is still there 2 minutes after pgserver was killed", filepath.Dir(dir))
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkGone(t, dir, pid, url)
}

// A failed download names the URL it tried and the variable that names
// binaries on disk instead; the URL is the one the library requested.
func TestDownloadFailureNamesTheURLAndTheVariable(t *testing.T) {
	t.Setenv(binariesEnv, "")
	var mu sync.Mutex
	var requested []string
	repo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested = append(requested, r.URL.Path)
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer repo.Close()

	a, err := serverAccount(serverUsers)
	if err != nil {
		t.Fatal(err)
	}
	// An empty cache of its own, which the server user owns.
	base, err := os.MkdirTemp("", "pgserver-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if err := prepareBase(base, a); err != nil {
		t.Fatal(err)
	}
	s, err := startEmbedded(context.Background(), "test", base, a, repo.URL)
	if err == nil {
		s.stop()
		t.Fatal("started with nothing to download")
	}
	want := downloadURL(repo.URL)
	for _, part := range []string{want, binariesEnv} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requested) == 0 || requested[0] != strings.TrimPrefix(want, repo.URL) {
		t.Errorf("the library requested %q, want %q first", requested, strings.TrimPrefix(want, repo.URL))
	}
}

// As root the server runs as postgres or nobody; with neither the message
// says what to do.
func TestRootRunsTheServerAsAnotherUser(t *testing.T) {
	a, err := serverAccount(serverUsers)
	if os.Geteuid() != 0 {
		if a != nil || err != nil {
			t.Errorf("not root: got %v, %v; want pgserver's own user", a, err)
		}
		return
	}
	if err != nil || a == nil || a.uid == 0 {
		t.Fatalf("root: got %+v, %v; want postgres or nobody", a, err)
	}
	_, err = serverAccount([]string{"luciapg-no-such-user"})
	if err == nil || !strings.Contains(err.Error(), "useradd") || !strings.Contains(err.Error(), "regular user") {
		t.Errorf("with no server user: %v, want what to do", err)
	}
}
