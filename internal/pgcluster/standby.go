package pgcluster

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// binDir is where Debian installs PostgreSQL 15's server programs, which
// are not on PATH.
var binDirs = []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}

// Server is a PostgreSQL server of this package's own, in a temporary
// directory, reachable over loopback TCP with trust authentication as the
// postgres user.
type Server struct {
	// Port is its loopback port.
	Port int

	su      serverUser
	dataDir string
	binary  string

	mu   sync.Mutex
	proc *process // nil while stopped
}

// Replicated is a primary and a streaming standby of it.
type Replicated struct {
	Primary, Standby *Server
}

// StartReplicated creates a primary with initdb and a standby of it with
// pg_basebackup -R, each on a free loopback port, and stops and removes
// both when tb ends. Neither touches the shared test server.
func StartReplicated(tb testing.TB) *Replicated {
	tb.Helper()
	su, bins := serverBinaries(tb, "initdb", "postgres", "pg_basebackup")
	root := tempDir(tb, su, "luciapg-cluster-")
	primary := initServer(tb, su, bins, filepath.Join(root, "primary"))
	// initdb's pg_hba.conf already trusts replication connections from
	// 127.0.0.1; wal_level replica and max_wal_senders 10 are the defaults.
	if err := primary.start(tb); err != nil {
		tb.Fatalf("pgcluster: starting the primary: %v", err)
	}
	standby := &Server{su: su, dataDir: filepath.Join(root, "standby"), binary: bins["postgres"]}
	if err := run(su, bins["pg_basebackup"], "-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", "postgres",
		"-D", standby.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	if err := standby.start(tb); err != nil {
		tb.Fatalf("pgcluster: starting the standby: %v", err)
	}
	return &Replicated{Primary: primary, Standby: standby}
}

// URL returns the URL of database on s.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, database)
}

// Stop shuts s down (fast shutdown) and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
}

// Start starts a stopped s again, on the same port, and waits until it
// answers.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	if err := s.start(tb); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
}

func (s *Server) start(tb testing.TB) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	if s.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
	}
	// Settings for a throwaway test server: no fsync, small, sockets in its
	// own directory. SIGINT is PostgreSQL's fast shutdown; a dying test
	// process sends SIGQUIT (immediate).
	p, err := start(s.su, syscall.SIGQUIT, s.dataDir+".log", s.binary, "-D", s.dataDir,
		"-p", strconv.Itoa(s.Port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+filepath.Dir(s.dataDir),
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=100",
		"-c", "hot_standby_feedback=on")
	if err != nil {
		return err
	}
	p.stopBy = syscall.SIGINT
	if err := waitReady(p, s.URL("postgres")); err != nil {
		p.stop()
		return err
	}
	s.proc = p
	tb.Cleanup(s.Stop)
	return nil
}
