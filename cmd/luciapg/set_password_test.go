package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// Whoever knew the old password may hold a session: setting a new one
// ends them, and says so.
func TestSetPasswordEndsTheUsersSessions(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	ctx := context.Background()
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("alicesession1", now, time.Hour, 2*time.Hour),
		session("alicesession2", now, time.Hour, 2*time.Hour),
		session("alicesession3", now, -time.Hour, time.Hour))
	seedUser(t, store, "user2", "bob", luciaHash, session("bobsession1", now, time.Hour, 2*time.Hour))

	r := runCLI(t, url, now, "new password\n", "keys", "set-password", "username:alice").wantCode(t, exitOK)
	if want := "Password set; ended 3 sessions of user user1.\n"; r.stdout != want {
		t.Errorf("set-password printed %q, want %q", r.stdout, want)
	}
	if sessions, err := store.GetSessionsByUserID(ctx, "user1"); err != nil || len(sessions) != 0 {
		t.Fatalf("after set-password alice has sessions %v (%v), want none", sessions, err)
	}
	if _, err := store.GetSession(ctx, "bobsession1"); err != nil {
		t.Fatalf("set-password ended another user's session: %v", err)
	}

	// One session: singular.
	if err := store.SetSession(ctx, luciapg.Session{ID: "alicesession4", UserID: "user1",
		ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, url, now, "newer password\n", "keys", "set-password", "username:alice", "--json").wantCode(t, exitOK)
	var got struct {
		Key           string `json:"key"`
		UserID        string `json:"user_id"`
		PasswordSet   bool   `json:"password_set"`
		EndedSessions int    `json:"ended_sessions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Key != "username:alice" || got.UserID != "user1" || !got.PasswordSet || got.EndedSessions != 1 {
		t.Errorf("set-password --json printed %s (%v)", r.stdout, err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: "alicesession5", UserID: "user1",
		ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, url, now, "newest password\n", "keys", "set-password", "username:alice").wantCode(t, exitOK)
	if want := "Password set; ended 1 session of user user1.\n"; r.stdout != want {
		t.Errorf("set-password printed %q, want %q", r.stdout, want)
	}
}

// --keep-sessions leaves the sessions alone, and the message says they
// are still alive.
func TestSetPasswordKeepSessions(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("alicesession1", now, time.Hour, 2*time.Hour),
		session("alicesession2", now, time.Hour, 2*time.Hour))

	r := runCLI(t, url, now, "new password\n", "keys", "set-password", "--keep-sessions", "username:alice").wantCode(t, exitOK)
	if want := "Password set; kept 2 sessions of user user1 (--keep-sessions).\n"; r.stdout != want {
		t.Errorf("set-password --keep-sessions printed %q, want %q", r.stdout, want)
	}
	if sessions, err := store.GetSessionsByUserID(context.Background(), "user1"); err != nil || len(sessions) != 2 {
		t.Fatalf("after set-password --keep-sessions alice has sessions %v (%v), want 2", sessions, err)
	}
}

// A password longer than the auth core checks could never log in: it is
// refused before hashing, from a pipe and from a terminal alike.
func TestSetPasswordRefusesWhatLoginsRefuse(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash)

	longest := strings.Repeat("p", auth.DefaultMaxPasswordBytes)
	runCLI(t, url, now, longest+"\r\n", "keys", "set-password", "username:alice").wantCode(t, exitOK)
	for _, input := range []string{longest + "p\n", longest + "p", strings.Repeat("p", 1<<20)} {
		r := runCLI(t, url, now, input, "keys", "set-password", "username:alice").wantCode(t, exitUsage)
		if !strings.Contains(r.stderr, "longer than 1024 bytes") {
			t.Errorf("a %d-byte password: %q", len(input), r.stderr)
		}
	}
	var stderr strings.Builder
	code := run(context.Background(), []string{"--database-url", url, "keys", "set-password", "username:alice"}, &env{
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
		getenv: func(string) string { return "" }, now: time.Now,
		stdinIsTerminal:      true,
		readTerminalPassword: func() (string, error) { return longest + "p", nil },
	})
	if code != exitUsage || !strings.Contains(stderr.String(), "longer than 1024 bytes") {
		t.Errorf("a long password typed on a terminal: exit %d, %q", code, stderr.String())
	}
	key, err := store.GetKey(context.Background(), "username:alice")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.VerifyPassword(*key.HashedPassword, longest); err != nil || !ok {
		t.Errorf("a refused password replaced the last one set: %v, %v", ok, err)
	}
}
