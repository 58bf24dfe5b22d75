// Package pgcluster starts the real servers that sit around PostgreSQL in
// production — Debian's PgBouncer, and a primary with a streaming standby
// built by initdb and pg_basebackup — on free loopback ports in temporary
// directories, for tests. A missing binary fails the test with the package
// to install; nothing is ever skipped or faked.
//
// Every server runs as a child of the test process, in the foreground, with
// a parent-death signal, so a test binary that is killed leaves nothing
// running. PostgreSQL and PgBouncer refuse to run as root; when the tests do,
// the children run as the postgres user.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// findBinary returns the path of name in dirs or on PATH, or an error saying
// which Debian package provides it.
func findBinary(name, debianPackage string, dirs ...string) (string, error) {
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: install it with `apt-get install -y %s` (.ci/run does)", name, debianPackage)
}

// serverUser is the account children run as: the postgres user when the
// test runs as root (which both servers refuse), else the test's own.
type serverUser struct {
	cred     *syscall.Credential // nil: the test's own user
	uid, gid int
}

func lookupServerUser() (serverUser, error) {
	if os.Geteuid() != 0 {
		return serverUser{uid: -1, gid: -1}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return serverUser{}, fmt.Errorf("running as root, and PostgreSQL and PgBouncer refuse root: %w (install postgresql, which creates the postgres user)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return serverUser{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid: uid, gid: gid}, nil
}

// tempDir creates a directory the server user owns (t.TempDir's parents
// are private to the test's user) and removes it when tb ends.
func tempDir(tb testing.TB, su serverUser, prefix string) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	if su.cred != nil {
		if err := os.Chown(dir, su.uid, su.gid); err != nil {
			tb.Fatalf("pgcluster: %v", err)
		}
	}
	return dir
}

// command builds a child that runs as su and is killed with sig if the
// test process dies.
func command(su serverUser, sig syscall.Signal, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: su.cred, Pdeathsig: sig, Setpgid: true}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// run runs a short-lived command as su and returns its combined output in
// the error when it fails.
func run(su serverUser, name string, args ...string) error {
	cmd := command(su, syscall.SIGKILL, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(name), err, out)
	}
	return nil
}

// freePort returns a loopback TCP port nothing listens on at the moment.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a running server.
type process struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error // set before done closes
	logTo  string
	stopBy syscall.Signal
}

func start(su serverUser, stopBy syscall.Signal, logFile, name string, args ...string) (*process, error) {
	return startCmd(command(su, stopBy, name, args...), stopBy, logFile)
}

// stop signals the process and waits for it to exit.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(p.stopBy)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exitedError describes a process that exited while we waited for it,
// with the end of its log.
func (p *process) exitedError() error {
	b, _ := os.ReadFile(p.logTo)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Errorf("%s exited (%v); its log ends:\n%s", filepath.Base(p.cmd.Path), p.err, b)
}

// waitReady polls connString with a trivial query until it answers, the
// process exits, or a deadline passes.
func waitReady(p *process, connString string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, connString)
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1", pgx.QueryExecModeSimpleProtocol)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.exitedError()
		default:
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("%s did not answer in time", filepath.Base(p.cmd.Path)), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
