package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// startTimeout bounds how long a server may take to print its address.
const startTimeout = 60 * time.Second

// server is one running instance of a stack: an OS process of its own.
type server struct {
	name  string // stack#instance, for logs
	addr  string // host:port it serves on
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	err   error // the process's exit, once done is closed
	log   *tailBuffer
}

// tailBuffer keeps the last lines a server wrote on standard error, for
// the reason given when it fails, and copies them to ours.
type tailBuffer struct {
	mu     sync.Mutex
	prefix string
	lines  []string
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 20 {
		t.lines = t.lines[len(t.lines)-20:]
	}
	fmt.Fprintf(progress, "[%s] %s\n", t.prefix, line)
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines[max(0, len(t.lines)-8):], " | ")
}

// launcher starts servers.
type launcher struct {
	self        string // this program, for the Go servers
	node        string // node, or empty when missing
	nodeDir     string // bench/e2e/node
	luciapgURL  string
	betterURL   string
	betterKey   string // BETTER_AUTH_SECRET, shared by both instances
	cpuProfiles map[string]string
}

// start starts instance (1 or 2) of stack and waits for its address.
func (l *launcher) start(s stack, instance int) (*server, error) {
	var cmd *exec.Cmd
	if s.lang == langGo {
		args := []string{"-serve", s.name, "-url", l.luciapgURL}
		if p := l.cpuProfiles[s.name]; p != "" && instance == 1 {
			args = append(args, "-cpuprofile", p)
		}
		cmd = exec.Command(l.self, args...)
	} else {
		if l.node == "" {
			return nil, errors.New("node is not on PATH (install Node.js 20 or later)")
		}
		if s.needsModules {
			if err := l.checkModules(); err != nil {
				return nil, err
			}
		}
		cmd = exec.Command(l.node, filepath.Join(l.nodeDir, "server.mjs"), s.name)
		cmd.Dir = l.nodeDir
		url := l.luciapgURL
		if s.betterAuth {
			url = l.betterURL
		}
		cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "BETTER_AUTH_SECRET="+l.betterKey, "NODE_ENV=production")
	}
	srv := &server{name: fmt.Sprintf("%s#%d", s.name, instance), cmd: cmd, done: make(chan struct{})}
	srv.log = &tailBuffer{prefix: srv.name}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	srv.stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			srv.log.add(lines.Text())
		}
	}()
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "listening "); ok {
				select {
				case addr <- a:
				default:
				}
			}
		}
	}()
	go func() {
		srv.err = cmd.Wait()
		close(srv.done)
	}()
	select {
	case a := <-addr:
		srv.addr = a
		return srv, nil
	case <-srv.done:
		// Let the stderr reader catch up with the last lines.
		time.Sleep(100 * time.Millisecond)
		return nil, fmt.Errorf("exited before serving (%v): %s", srv.err, srv.log)
	case <-time.After(startTimeout):
		srv.stop()
		return nil, fmt.Errorf("not serving after %v: %s", startTimeout, srv.log)
	}
}

// checkModules checks that npm ci has installed the Node peers.
func (l *launcher) checkModules() error {
	for _, pkg := range []string{"lucia-auth", "@lucia-auth/adapter-postgresql", "better-auth", "pg"} {
		if _, err := os.Stat(filepath.Join(l.nodeDir, "node_modules", pkg, "package.json")); err != nil {
			return fmt.Errorf("%s is not installed in %s/node_modules: run npm ci --prefix %s (make bench-e2e does)", pkg, l.nodeDir, l.nodeDir)
		}
	}
	return nil
}

// command sends a line to the server's standard input.
func (srv *server) command(line string) {
	_, _ = io.WriteString(srv.stdin, line+"\n")
}

// alive reports whether the process still runs.
func (srv *server) alive() bool {
	select {
	case <-srv.done:
		return false
	default:
		return true
	}
}

// stop closes the server's standard input, which makes it shut down, and
// kills it if it has not within 15 s.
func (srv *server) stop() {
	_ = srv.stdin.Close()
	select {
	case <-srv.done:
	case <-time.After(15 * time.Second):
		_ = srv.cmd.Process.Kill()
		<-srv.done
	}
}

// runNode runs server.mjs with args to its end (the Better Auth
// migration), returning its output in the error when it fails.
func (l *launcher) runNode(env []string, args ...string) error {
	if l.node == "" {
		return errors.New("node is not on PATH (install Node.js 20 or later)")
	}
	if err := l.checkModules(); err != nil {
		return err
	}
	cmd := exec.Command(l.node, append([]string{filepath.Join(l.nodeDir, "server.mjs")}, args...)...)
	cmd.Dir = l.nodeDir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return fmt.Errorf("%v: %s", err, strings.Join(lines[max(0, len(lines)-8):], " | "))
	}
	return nil
}
