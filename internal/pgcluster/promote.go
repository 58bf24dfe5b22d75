package pgcluster

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// AddStandby makes one more streaming standby of r.Primary with
// pg_basebackup -R, on a free loopback port, started, and stops and
// removes it when tb ends: for tests that need a second copy of the
// primary (one to promote while the other keeps following).
func (r *Replicated) AddStandby(tb testing.TB) *Server {
	tb.Helper()
	su, bins := serverBinaries(tb, "postgres", "pg_basebackup")
	s := &Server{su: su, dataDir: filepath.Join(tempDir(tb, su, "luciapg-standby-"), "data"), binary: bins["postgres"]}
	if err := run(su, bins["pg_basebackup"], "-h", "127.0.0.1", "-p", strconv.Itoa(r.Primary.Port), "-U", "postgres",
		"-D", s.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	if err := s.start(tb); err != nil {
		tb.Fatalf("pgcluster: starting the standby: %v", err)
	}
	return s
}

// Promote promotes s, a standby, to a primary of its own and waits until
// it accepts writes (pg_promote waits for the promotion to finish).
func (s *Server) Promote(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	defer conn.Close(ctx)
	var promoted bool
	if err := conn.QueryRow(ctx, "SELECT pg_promote(wait => true, wait_seconds => 60)").Scan(&promoted); err != nil {
		tb.Fatalf("pgcluster: promoting: %v", err)
	}
	if !promoted {
		tb.Fatal("pgcluster: the promotion did not finish within 60 s")
	}
}
