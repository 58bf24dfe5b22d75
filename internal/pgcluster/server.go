package pgcluster

import (
	"path/filepath"
	"syscall"
	"testing"
)

// StartServer creates a server of its own with initdb, on a free loopback
// port, and stops and removes it when tb ends: for tests that restart or
// crash a server, which the shared test server must never be.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	su, bins := serverBinaries(tb, "initdb", "postgres")
	s := initServer(tb, su, bins, filepath.Join(tempDir(tb, su, "luciapg-server-"), "data"))
	if err := s.start(tb); err != nil {
		tb.Fatalf("pgcluster: starting the server: %v", err)
	}
	return s
}

// serverBinaries finds the server's user and the named PostgreSQL
// programs, failing tb when one is missing.
func serverBinaries(tb testing.TB, names ...string) (serverUser, map[string]string) {
	tb.Helper()
	su, err := lookupServerUser()
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	bins := map[string]string{}
	for _, name := range names {
		p, err := findBinary(name, "postgresql", binDirs...)
		if err != nil {
			tb.Fatalf("pgcluster: %v", err)
		}
		bins[name] = p
	}
	return su, bins
}

// initServer creates a stopped server in dataDir with initdb: trust
// authentication for the postgres user, UTF8, the C locale.
func initServer(tb testing.TB, su serverUser, bins map[string]string, dataDir string) *Server {
	tb.Helper()
	s := &Server{su: su, dataDir: dataDir, binary: bins["postgres"]}
	if err := run(su, bins["initdb"], "-D", s.dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	return s
}

// Crash stops s as a crash would (immediate shutdown: no checkpoint, so
// the next start recovers from the WAL and empties unlogged tables) and
// waits for it to exit.
func (s *Server) Crash() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stopBy = syscall.SIGQUIT
		s.proc.stop()
		s.proc = nil
	}
}
