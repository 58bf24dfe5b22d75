package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// seedPruneDatabase stores 25 dead sessions and 5 live ones (an idle one
// among them) and returns the database URL and the clock.
func seedPruneDatabase(t *testing.T) (string, *luciapg.Store, time.Time) {
	t.Helper()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	var sessions []luciapg.Session
	for i := range 25 {
		sessions = append(sessions, session(fmt.Sprintf("dead%02d", i), now, -2*time.Hour, -time.Duration(i+1)*time.Minute))
	}
	for i := range 4 {
		sessions = append(sessions, session(fmt.Sprintf("live%02d", i), now, time.Hour, 2*time.Hour))
	}
	// Idle until exactly now: still alive (Lucia v1: valid while now <= idle_expires).
	sessions = append(sessions, session("idlenow", now, -time.Hour, 0))
	seedUser(t, store, "user1", "alice", luciaHash, sessions...)
	return url, store, now
}

func countSessions(t *testing.T, store *luciapg.Store) int {
	t.Helper()
	sessions, err := store.GetSessionsByUserID(context.Background(), "user1")
	if err != nil {
		t.Fatal(err)
	}
	return len(sessions)
}

func TestPruneDryRunDeletesNothing(t *testing.T) {
	t.Parallel()
	url, store, now := seedPruneDatabase(t)

	r := runCLI(t, url, now, "", "sessions", "prune", "--dry-run").wantCode(t, exitOK)
	if r.stdout != "25 dead sessions would be deleted (dry run: nothing was deleted).\n" {
		t.Errorf("dry run printed %q", r.stdout)
	}
	r = runCLI(t, url, now, "", "sessions", "prune", "--dry-run", "--json").wantCode(t, exitOK)
	var summary pruneSummary
	if err := json.Unmarshal([]byte(r.stdout), &summary); err != nil {
		t.Fatal(err)
	}
	if summary != (pruneSummary{DeadSessions: 25, DryRun: true}) {
		t.Errorf("dry run --json = %+v", summary)
	}
	if n := countSessions(t, store); n != 30 {
		t.Errorf("after a dry run %d sessions remain, want all 30", n)
	}
}

func TestPruneInBatchesWithPlainProgress(t *testing.T) {
	t.Parallel()
	url, store, now := seedPruneDatabase(t)

	r := runCLI(t, url, now, "", "sessions", "prune", "--batch-size", "10").wantCode(t, exitOK)
	wantProgress := "10/25 dead sessions deleted\n20/25 dead sessions deleted\n25/25 dead sessions deleted\n"
	if r.stderr != wantProgress {
		t.Errorf("progress lines:\n%s\nwant:\n%s", r.stderr, wantProgress)
	}
	if r.stdout != "Deleted 25 dead sessions in 3 batches.\n" {
		t.Errorf("summary %q", r.stdout)
	}
	if n := countSessions(t, store); n != 5 {
		t.Errorf("after prune %d sessions remain, want the 5 live ones", n)
	}

	r = runCLI(t, url, now, "", "sessions", "prune", "--json").wantCode(t, exitOK)
	var summary pruneSummary
	if err := json.Unmarshal([]byte(r.stdout), &summary); err != nil {
		t.Fatal(err)
	}
	if summary != (pruneSummary{}) || r.stderr != "" {
		t.Errorf("second prune: %+v, stderr %q; want nothing to do", summary, r.stderr)
	}
}

func TestPruneDrawsABarOnATerminal(t *testing.T) {
	t.Parallel()
	url, _, now := seedPruneDatabase(t)
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"--database-url", url, "sessions", "prune", "--batch-size", "20"}, &env{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" }, now: func() time.Time { return now },
		stderrIsTerminal: true,
	})
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	want := "\r[========================      ]  80% 20/25 dead sessions deleted" +
		"\r[==============================] 100% 25/25 dead sessions deleted\n"
	if stderr.String() != want {
		t.Errorf("terminal progress:\n%q\nwant:\n%q", stderr.String(), want)
	}
}

func TestPruneStopsBetweenBatchesWhenInterrupted(t *testing.T) {
	t.Parallel()
	url, store, now := seedPruneDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel as the first batch's progress is reported, as Ctrl-C would.
	var stdout strings.Builder
	stderr := &cancelOnWrite{cancel: cancel}
	code := run(ctx, []string{"--database-url", url, "sessions", "prune", "--batch-size", "10"}, &env{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: stderr,
		getenv: func(string) string { return "" }, now: func() time.Time { return now },
	})
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr %q", code, exitInterrupted, stderr.String())
	}
	if stdout.String() != "Deleted 10 of 25 dead sessions in 1 batch before the interruption.\n" {
		t.Errorf("summary %q", stdout.String())
	}
	if n := countSessions(t, store); n != 20 {
		t.Errorf("%d sessions remain, want 20 (one batch of 10 deleted)", n)
	}
}

// cancelOnWrite cancels a context on its first write.
type cancelOnWrite struct {
	strings.Builder
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.cancel()
	return w.Builder.Write(p)
}
