package main

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// luciaHash is Lucia v1's hash of "password123" (its test vector).
const luciaHash = "s2:0123456789abcdef:06f0075911f59cbbc65e0b9f260a29e593427041e7e5afc48cde8a5f72a544a104242cd57a21fc52aa1e9f737ee85fc558640d82204f7efe7da69e1cdd60b111"

func TestMigrateUpAndStatus(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	now := time.Now()

	r := runCLI(t, url, now, "", "migrate", "status").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "VERSION") || !regexp.MustCompile(`create_auth_tables\.sql +pending`).MatchString(r.stdout) {
		t.Fatalf("status before migrating:\n%s", r.stdout)
	}

	r = runCLI(t, url, now, "", "migrate", "up").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "Applied 20261126000000_create_auth_tables.sql") {
		t.Fatalf("migrate up printed:\n%s", r.stdout)
	}
	r = runCLI(t, url, now, "", "migrate", "up").wantCode(t, exitOK)
	if r.stdout != "Already up to date.\n" {
		t.Fatalf("second migrate up printed:\n%s", r.stdout)
	}

	r = runCLI(t, url, now, "", "migrate", "status", "--json").wantCode(t, exitOK)
	var status struct{ Migrations []migration }
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	if len(status.Migrations) == 0 {
		t.Fatal("status --json lists no migrations")
	}
	for _, m := range status.Migrations {
		if !m.Applied {
			t.Errorf("migration %s not applied after migrate up", m.File)
		}
	}
}

func TestUsersShowAndDelete(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("sessionactive", now, time.Hour, 2*time.Hour),
		session("sessionidle", now, -time.Hour, time.Hour),
		session("sessiondead", now, -2*time.Hour, -time.Hour))

	r := runCLI(t, url, now, "", "users", "show", "user1").wantCode(t, exitOK)
	for _, want := range []string{"username   alice", "username:alice  yes      yes       never",
		auth.SessionLabel("sessionactive") + "   active", auth.SessionLabel("sessionidle") + "   idle", auth.SessionLabel("sessiondead") + "   dead"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("users show output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, luciaHash[:20]) {
		t.Errorf("users show prints the password hash:\n%s", r.stdout)
	}

	r = runCLI(t, url, now, "", "users", "show", "--json", "--key", "username:alice").wantCode(t, exitOK)
	var view userView
	if err := json.Unmarshal([]byte(r.stdout), &view); err != nil {
		t.Fatalf("users show --json: %v\n%s", err, r.stdout)
	}
	if view.ID != "user1" || view.Attributes["username"] != "alice" || len(view.Keys) != 1 || !view.Keys[0].HasPassword || len(view.Sessions) != 3 {
		t.Errorf("users show --json = %+v", view)
	}
	if strings.Contains(r.stdout, luciaHash[:20]) {
		t.Errorf("users show --json prints the password hash:\n%s", r.stdout)
	}

	runCLI(t, url, now, "", "users", "show", "nobody").wantCode(t, exitNotFound)
	runCLI(t, url, now, "", "users", "show", "--key", "username:nobody").wantCode(t, exitNotFound)

	r = runCLI(t, url, now, "", "users", "delete", "user1").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "Deleted user user1") {
		t.Errorf("users delete printed %q", r.stdout)
	}
	if _, err := store.GetUser(context.Background(), "user1"); !errors.Is(err, luciapg.ErrInvalidUserID) {
		t.Fatalf("after users delete, GetUser: %v", err)
	}
	if sessions, err := store.GetSessionsByUserID(context.Background(), "user1"); err != nil || len(sessions) != 0 {
		t.Fatalf("after users delete, sessions %v, %v", sessions, err)
	}
	runCLI(t, url, now, "", "users", "delete", "user1").wantCode(t, exitNotFound)
}

func TestKeys(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	ctx := context.Background()
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash)
	expires := now.Add(time.Hour).UnixMilli()
	if err := store.SetKey(ctx, luciapg.Key{ID: "email:alice@example.com", UserID: "user1", Expires: &expires}); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, url, now, "", "keys", "list", "user1").wantCode(t, exitOK)
	for _, want := range []string{"KEY                      PRIMARY  PASSWORD  EXPIRES", "email:alice@example.com  no       no        " + formatMillis(expires), "username:alice           yes      yes       never"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("keys list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCLI(t, url, now, "", "--json", "keys", "list", "user1").wantCode(t, exitOK)
	var list struct{ Keys []keyView }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Keys) != 2 {
		t.Fatalf("keys list --json: %v\n%s", err, r.stdout)
	}
	runCLI(t, url, now, "", "keys", "list", "nobody").wantCode(t, exitNotFound)

	runCLI(t, url, now, "new password\n", "keys", "set-password", "username:alice").wantCode(t, exitOK)
	key, err := store.GetKey(ctx, "username:alice")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.VerifyPassword(*key.HashedPassword, "new password"); err != nil || !ok {
		t.Fatalf("the stored hash does not verify the new password: %v, %v", ok, err)
	}
	runCLI(t, url, now, "x\n", "keys", "set-password", "username:nobody").wantCode(t, exitNotFound)
	r = runCLI(t, url, now, "", "keys", "set-password", "username:alice").wantCode(t, exitUsage)
	if !strings.Contains(r.stderr, "no password on standard input") {
		t.Errorf("set-password without input: %q", r.stderr)
	}
	runCLI(t, url, now, "\n", "keys", "set-password", "username:alice").wantCode(t, exitUsage)

	r = runCLI(t, url, now, "", "keys", "delete", "username:alice").wantCode(t, exitRefused)
	if !strings.Contains(r.stderr, "primary key") {
		t.Errorf("deleting a primary key: %q", r.stderr)
	}
	runCLI(t, url, now, "", "keys", "delete", "email:alice@example.com").wantCode(t, exitOK)
	if _, err := store.GetKey(ctx, "email:alice@example.com"); !errors.Is(err, luciapg.ErrInvalidKeyID) {
		t.Fatalf("after keys delete, GetKey: %v", err)
	}
	runCLI(t, url, now, "", "keys", "delete", "email:alice@example.com").wantCode(t, exitNotFound)
}

func TestSessions(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	ctx := context.Background()
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("secretsession1", now, time.Hour, 2*time.Hour),
		session("secretsession2", now, -time.Hour, time.Hour),
		session("secretsession3", now, -2*time.Hour, -time.Hour))
	seedUser(t, store, "user2", "bob", luciaHash, session("bobsession", now, time.Hour, 2*time.Hour))

	r := runCLI(t, url, now, "", "sessions", "list", "user1").wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "SESSION  STATE   ACTIVE UNTIL") ||
		!strings.HasPrefix(lines[1], auth.SessionLabel("secretsession1")+"   active") || !strings.HasPrefix(lines[3], auth.SessionLabel("secretsession3")+"   dead") {
		t.Errorf("sessions list, longest-lived first:\n%s", r.stdout)
	}
	r = runCLI(t, url, now, "", "sessions", "list", "user1", "--json").wantCode(t, exitOK)
	var list struct{ Sessions []sessionView }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Sessions) != 3 || list.Sessions[1].State != "idle" {
		t.Fatalf("sessions list --json: %v\n%s", err, r.stdout)
	}
	runCLI(t, url, now, "", "sessions", "list", "nobody").wantCode(t, exitNotFound)

	r = runCLI(t, url, now, "", "sessions", "revoke", "secretsession2").wantCode(t, exitOK)
	if strings.Contains(r.stdout, "secretsession2") {
		t.Errorf("revoke repeats the session id: %q", r.stdout)
	}
	if _, err := store.GetSession(ctx, "secretsession2"); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after revoke, GetSession: %v", err)
	}
	r = runCLI(t, url, now, "", "sessions", "revoke", "secretsession2").wantCode(t, exitNotFound)
	if strings.Contains(r.stderr, "secretsession2") {
		t.Errorf("the error repeats the session id: %q", r.stderr)
	}

	r = runCLI(t, url, now, "", "sessions", "revoke-all", "user1").wantCode(t, exitOK)
	if r.stdout != "Revoked 2 sessions of user user1.\n" {
		t.Errorf("revoke-all printed %q", r.stdout)
	}
	if sessions, err := store.GetSessionsByUserID(ctx, "user1"); err != nil || len(sessions) != 0 {
		t.Fatalf("after revoke-all: %v, %v", sessions, err)
	}
	if _, err := store.GetSession(ctx, "bobsession"); err != nil {
		t.Fatalf("revoke-all touched another user's session: %v", err)
	}
	runCLI(t, url, now, "", "sessions", "revoke-all", "nobody").wantCode(t, exitNotFound)
}

func TestSetPasswordPromptsOnATerminal(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	seedUser(t, store, "user1", "alice", luciaHash)
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"--database-url", url, "keys", "set-password", "username:alice"}, &env{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" }, now: time.Now,
		stdinIsTerminal:      true,
		readTerminalPassword: func() (string, error) { return "typed secret", nil },
	})
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	if stderr.String() != "Password: \n" {
		t.Errorf("prompt %q, want %q", stderr.String(), "Password: \n")
	}
	key, err := store.GetKey(context.Background(), "username:alice")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.VerifyPassword(*key.HashedPassword, "typed secret"); err != nil || !ok {
		t.Fatalf("the stored hash does not verify the typed password: %v, %v", ok, err)
	}
}
