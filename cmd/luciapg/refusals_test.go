package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// A value refused by a UNIQUE attribute column is a taken value like a
// taken id or key (luciapg.ErrDuplicateAttribute): exit 4, one line
// naming the column, never the value.
func TestUniqueAttributeViolationExits4(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	pool := testdb.Pool(t, url, 1)
	if _, err := pool.Exec(context.Background(), `ALTER TABLE auth_user ADD COLUMN email TEXT UNIQUE`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	runCLI(t, url, now, "", "users", "create", "--attr", "email=ada@example.com").wantCode(t, exitOK)
	r := runCLI(t, url, now, "", "users", "create", "--attr", "email=ada@example.com").wantCode(t, exitRefused)
	if !strings.Contains(r.stderr, "taken") || !strings.Contains(r.stderr, "column email") || strings.Contains(r.stderr, "ada@example.com") {
		t.Errorf("stderr %q: want 'taken' and the column's name, without the value", r.stderr)
	}
	if n := countUsers(t, url); n != 1 {
		t.Errorf("%d users after the refused create, want 1", n)
	}
}

func countUsers(t *testing.T, url string) int {
	t.Helper()
	var n int
	if err := testdb.Pool(t, url, 1).QueryRow(context.Background(), `SELECT count(*) FROM auth_user`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every count in a message agrees with its noun: "1 session", "2 sessions".
func TestMessagesAgreeInNumber(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("livesession", now, time.Hour, 2*time.Hour),
		session("deadsession", now, -2*time.Hour, -time.Hour))

	r := runCLI(t, url, now, "", "sessions", "prune", "--dry-run").wantCode(t, exitOK)
	if want := "1 dead session would be deleted (dry run: nothing was deleted).\n"; r.stdout != want {
		t.Errorf("prune --dry-run printed %q, want %q", r.stdout, want)
	}
	r = runCLI(t, url, now, "", "sessions", "prune").wantCode(t, exitOK)
	if want := "Deleted 1 dead session in 1 batch.\n"; r.stdout != want {
		t.Errorf("prune printed %q, want %q", r.stdout, want)
	}
	r = runCLI(t, url, now, "", "sessions", "prune").wantCode(t, exitOK)
	if want := "Deleted 0 dead sessions in 0 batches.\n"; r.stdout != want {
		t.Errorf("an idle prune printed %q, want %q", r.stdout, want)
	}
	r = runCLI(t, url, now, "", "sessions", "revoke-all", "user1").wantCode(t, exitOK)
	if want := "Revoked 1 session of user user1.\n"; r.stdout != want {
		t.Errorf("revoke-all printed %q, want %q", r.stdout, want)
	}
	r = runCLI(t, url, now, "", "users", "list").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "(1 user, ") {
		t.Errorf("users list does not count its one user in the singular:\n%s", r.stdout)
	}
}

// A session id is a bearer secret: listings show a short hash of it, as
// the example web app does, unless --show-ids asks for the ids.
func TestSessionIDsHiddenUnlessAsked(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	now := time.Now()
	const id = "secretsessionid0123456789abcdefghij"
	seedUser(t, store, "user1", "alice", luciaHash, session(id, now, time.Hour, 2*time.Hour))
	label := auth.SessionLabel(id)
	if len(label) != 6 || strings.Contains(id, label) {
		t.Fatalf("auth.SessionLabel(%q) = %q: want 6 hex digits of a hash", id, label)
	}
	for _, args := range [][]string{
		{"sessions", "list", "user1"},
		{"sessions", "list", "user1", "--json"},
		{"users", "show", "user1"},
		{"users", "show", "user1", "--json"},
		{"users", "show", "--key", "username:alice"},
	} {
		r := runCLI(t, url, now, "", args...).wantCode(t, exitOK)
		if strings.Contains(r.stdout, id[:10]) {
			t.Errorf("%v prints the session id:\n%s", args, r.stdout)
		}
		if !strings.Contains(r.stdout, label) {
			t.Errorf("%v lacks the session's label %s:\n%s", args, label, r.stdout)
		}
		r = runCLI(t, url, now, "", append(args, "--show-ids")...).wantCode(t, exitOK)
		if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, label) {
			t.Errorf("%v --show-ids lacks the id or the label:\n%s", args, r.stdout)
		}
	}
}
