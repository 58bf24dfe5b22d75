package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// Listings show a session's label, not its id: the label revokes it,
// among the sessions of the user named, and only theirs.
func TestRevokeBySessionLabel(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	ctx := context.Background()
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("alicesessionone", now, time.Hour, 2*time.Hour),
		session("alicesessiontwo", now, time.Hour, 2*time.Hour))
	seedUser(t, store, "user2", "bob", luciaHash, session("bobsessionone", now, time.Hour, 2*time.Hour))

	r := runCLI(t, url, now, "", "sessions", "revoke", "--user", "user1", auth.SessionLabel("alicesessionone")).wantCode(t, exitOK)
	if r.stdout != "Revoked 1 session of user user1.\n" || strings.Contains(r.stdout, "alicesessionone") {
		t.Errorf("revoke by label printed %q", r.stdout)
	}
	if _, err := store.GetSession(ctx, "alicesessionone"); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Errorf("the labelled session survived: %v", err)
	}
	if _, err := store.GetSession(ctx, "alicesessiontwo"); err != nil {
		t.Errorf("another session of the user ended: %v", err)
	}
	// Another user's label names no session of user1.
	r = runCLI(t, url, now, "", "sessions", "revoke", "--user", "user1", auth.SessionLabel("bobsessionone")).wantCode(t, exitNotFound)
	if !strings.Contains(r.stderr, "user user1 has no session labelled "+auth.SessionLabel("bobsessionone")+" (luciapg sessions list user1 shows") {
		t.Errorf("another user's label: %q", r.stderr)
	}
	if _, err := store.GetSession(ctx, "bobsessionone"); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	runCLI(t, url, now, "", "sessions", "revoke", "--user", "nobody", "abcdef").wantCode(t, exitNotFound)
	r = runCLI(t, url, now, "", "sessions", "revoke", "--user", "user1", "not-a-label").wantCode(t, exitUsage)
	if !strings.Contains(r.stderr, "6 hex digits") {
		t.Errorf("a malformed label: %q", r.stderr)
	}
}
