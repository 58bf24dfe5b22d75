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
	su, err := lookupServerUser()
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	bins := map[string]string{}
	for _, name := range []string{"initdb", "postgres"} {
		p, err := findBinary(name, "postgresql", binDirs...)
		if err != nil {
			tb.Fatalf("pgcluster: %v", err)
		}
		bins[name] = p
	}
	s := &Server{su: su, dataDir: filepath.Join(tempDir(tb, su, "luciapg-server-"), "data"), binary: bins["postgres"]}
	if err := run(su, bins["initdb"], "-D", s.dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	if err := s.start(tb); err != nil {
		tb.Fatalf("pgcluster: starting the server: %v", err)
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
