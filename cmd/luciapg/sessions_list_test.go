package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// sessions list --limit N lists the N longest-lived sessions and says how
// many there are; a bad N is a usage error, refused before connecting.
func TestSessionsListLimit(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("secretsession1", now, time.Hour, 3*time.Hour),
		session("secretsession2", now, time.Hour, 2*time.Hour),
		session("secretsession3", now, -time.Hour, time.Hour))

	r := runCLI(t, url, now, "", "sessions", "list", "user1", "--limit", "2").wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], auth.SessionLabel("secretsession1")) || !strings.HasPrefix(lines[2], auth.SessionLabel("secretsession2")) ||
		lines[3] != "(2 of 3 sessions, the longest-lived; raise --limit to see more)" {
		t.Errorf("sessions list --limit 2:\n%s", r.stdout)
	}
	r = runCLI(t, url, now, "", "--json", "sessions", "list", "--limit", "1", "user1").wantCode(t, exitOK)
	var list struct {
		Sessions      []sessionView `json:"sessions"`
		TotalSessions int           `json:"total_sessions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Sessions) != 1 || list.TotalSessions != 3 ||
		list.Sessions[0].Label != auth.SessionLabel("secretsession1") {
		t.Errorf("sessions list --limit 1 --json: %v\n%s", err, r.stdout)
	}
	// Within the limit: every session, and no count line.
	r = runCLI(t, url, now, "", "sessions", "list", "user1", "--limit", "3").wantCode(t, exitOK)
	if lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); len(lines) != 4 || strings.HasPrefix(lines[3], "(") {
		t.Errorf("sessions list --limit 3:\n%s", r.stdout)
	}

	unreachable := "postgres://u:hunter2@" + closedPort(t) + "/x?connect_timeout=5"
	for bad, want := range map[string]string{
		"0":    "--limit must be between 1 and 1000, not 0",
		"-1":   "--limit must be between 1 and 1000, not -1",
		"1001": "--limit must be between 1 and 1000, not 1001",
		"x":    `invalid value "x" for flag --limit: want a whole number`,
	} {
		r := runCLI(t, unreachable, now, "", "sessions", "list", "user1", "--limit", bad).wantCode(t, exitUsage)
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "luciapg help sessions list") {
			t.Errorf("--limit %s: stderr %q, want %q", bad, r.stderr, want)
		}
	}
}
