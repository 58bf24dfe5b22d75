package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luciapg/luciapg/examples/testdb"
)

// runMainEnv makes the test binary run the web app's main, so a test can
// start the app as a process and signal it.
const runMainEnv = "WEBAPP_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// listeningURL is in the log line the app writes once it serves.
var listeningURL = regexp.MustCompile(`msg="webapp listening" url=(http://\S+)`)

// SIGINT (Ctrl-C) and SIGTERM stop the app gracefully: a request already
// being read is answered, then the process exits 0, saying it stopped.
func TestSignalStopsTheAppWithStatus0(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(exe, "-addr", "127.0.0.1:0", "-insecure-dev-cookies")
			cmd.Env = append(os.Environ(), runMainEnv+"=1", "DATABASE_URL="+testdb.NewEmptyURL(t))
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			log := newLineReader(stderr)
			url := listeningURL.FindStringSubmatch(log.waitFor(t, "webapp listening"))[1]

			// A login whose handler is running, waiting for its form, when
			// the signal comes: the server answers "100 Continue" once the
			// handler reads the body.
			host := strings.TrimPrefix(url, "http://")
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			const form = "username=nobody&password=wrong"
			if _, err := io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: "+host+"\r\nOrigin: "+url+
				"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "+strconv.Itoa(len(form))+
				"\r\nExpect: 100-continue\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			answers := bufio.NewReader(conn)
			if resp, err := http.ReadResponse(answers, nil); err != nil || resp.StatusCode != http.StatusContinue {
				t.Fatalf("before the form: %v, %v; want 100 Continue", resp, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			log.waitFor(t, "shutting down")
			time.Sleep(100 * time.Millisecond) // Shutdown has begun
			if _, err := io.WriteString(conn, form); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(answers, nil)
			if err != nil {
				log.drain()
				t.Fatalf("the request in progress got no answer: %v; log:\n%s", err, log.all())
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("the login in progress: status %d, want 401", resp.StatusCode)
			}

			log.waitFor(t, "webapp stopped")
			log.drain()
			if err := cmd.Wait(); err != nil {
				var exitErr *exec.ExitError
				if errors.As(err, &exitErr) {
					t.Fatalf("after %s: %v, want exit status 0; log:\n%s", sig, err, log.all())
				}
				t.Fatal(err)
			}
			if strings.Contains(log.all(), "level=ERROR") {
				t.Errorf("the log has an error:\n%s", log.all())
			}
		})
	}
}

// lineReader reads a process's log lines as they come.
type lineReader struct {
	lines chan string
	seen  []string
}

func newLineReader(r io.Reader) *lineReader {
	l := &lineReader{lines: make(chan string, 100)}
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			l.lines <- s.Text()
		}
		close(l.lines)
	}()
	return l
}

// waitFor returns the first line containing text, failing the test when
// the log ends or a minute passes without one.
func (l *lineReader) waitFor(t *testing.T, text string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("the log ended without %q:\n%s", text, l.all())
			}
			l.seen = append(l.seen, line)
			if strings.Contains(line, text) {
				return line
			}
		case <-timeout:
			t.Fatalf("no %q in the log after a minute:\n%s", text, l.all())
		}
	}
}

// drain reads the log to its end, when the process closes it.
func (l *lineReader) drain() {
	for line := range l.lines {
		l.seen = append(l.seen, line)
	}
}

func (l *lineReader) all() string {
	return strings.Join(l.seen, "\n") + "\n"
}
