package pgcluster

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// ServerOptions change what StartServerWith starts.
type ServerOptions struct {
	// Settings are extra server settings, each "name=value" (passed as
	// -c): wal_level=logical for a publisher, say.
	Settings []string
	// FakeClock runs the server under libfaketime, its wall clock offset
	// by what the returned Server's Clock is set to (zero at first).
	FakeClock bool
}

// FakeClock steps the wall clock of a server started with
// ServerOptions.FakeClock. Its monotonic clock is left alone, as a real
// clock step leaves it.
type FakeClock struct {
	su   serverUser
	file string
}

// libfaketimeDirs are where Debian's libfaketime puts its library.
var libfaketimeDirs = []string{"/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime"}

// StartServerWith is StartServer with opts; with opts.FakeClock it also
// returns the server's clock, nil otherwise. Start (after Stop) starts it
// again without opts.
func StartServerWith(tb testing.TB, opts ServerOptions) (*Server, *FakeClock) {
	tb.Helper()
	su, bins := serverBinaries(tb, "initdb", "postgres")
	root := tempDir(tb, su, "luciapg-server-")
	s := initServer(tb, su, bins, filepath.Join(root, "data"))
	var env []string
	var clock *FakeClock
	if opts.FakeClock {
		lib, err := findBinary("libfaketime.so.1", "libfaketime", libfaketimeDirs...)
		if err != nil {
			tb.Fatalf("pgcluster: %v", err)
		}
		clock = &FakeClock{su: su, file: filepath.Join(root, "faketime")}
		clock.Set(tb, 0)
		// NO_CACHE: every clock read rereads the file, so a step is seen at
		// once. DONT_FAKE_MONOTONIC: the server's timeouts and latches run
		// on the monotonic clock, which a real step does not move either.
		env = append(env, "LD_PRELOAD="+lib, "FAKETIME_TIMESTAMP_FILE="+clock.file,
			"FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1")
	}
	port, err := freePort()
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	s.Port = port
	args := []string{"-D", s.dataDir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + root, "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB", "-c", "max_connections=100"}
	for _, setting := range opts.Settings {
		args = append(args, "-c", setting)
	}
	cmd := command(su, syscall.SIGQUIT, s.binary, args...)
	cmd.Env = append(cmd.Env, env...)
	p, err := startCmd(cmd, syscall.SIGQUIT, s.dataDir+".log")
	if err != nil {
		tb.Fatalf("pgcluster: starting the server: %v", err)
	}
	p.stopBy = syscall.SIGINT
	if err := waitReady(p, s.URL("postgres")); err != nil {
		p.stop()
		tb.Fatalf("pgcluster: starting the server: %v", err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	tb.Cleanup(s.Stop)
	return s, clock
}

// Set makes the server's wall clock read the real time plus offset
// (negative: behind), from its next reading of the clock on.
func (c *FakeClock) Set(tb testing.TB, offset time.Duration) {
	tb.Helper()
	// libfaketime's relative form, "+90s" or "-90s"; written whole and
	// renamed over the old file, so no read sees half of it.
	spec := "+" + strconv.FormatInt(int64(offset/time.Second), 10) + "s"
	if offset < 0 {
		spec = strconv.FormatInt(int64(offset/time.Second), 10) + "s"
	}
	tmp := c.file + ".new"
	if err := os.WriteFile(tmp, []byte(spec+"\n"), 0o644); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	if c.su.cred != nil {
		if err := os.Chown(tmp, c.su.uid, c.su.gid); err != nil {
			tb.Fatalf("pgcluster: %v", err)
		}
	}
	if err := os.Rename(tmp, c.file); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
}
