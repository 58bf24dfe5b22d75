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

// An argument that names no user, key or session gets a hint saying what
// it is when the database knows (a username, a key, a user where a
// session goes, a label where an id goes) and what to run instead; a
// session id is never repeated.
func TestNotFoundHints(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	now := time.Now()
	const sessionID = "secretsessionid0123456789abcdefghij"
	seedUser(t, store, "user1", "alice", luciaHash, session(sessionID, now, time.Hour, 2*time.Hour))
	if err := store.SetKey(context.Background(), luciapg.Key{ID: "email:alice@example.com", UserID: "user1"}); err != nil {
		t.Fatal(err)
	}
	label := auth.SessionLabel(sessionID)
	tests := []struct {
		args []string
		code int
		want string
	}{
		// A username, a key id or a session id where a user id goes.
		{[]string{"sessions", "list", "alice"}, exitNotFound, `no user "alice": the key username:alice belongs to user user1; use the user's id, user1`},
		{[]string{"keys", "list", "email:alice@example.com"}, exitNotFound, `no user "email:alice@example.com": that is a key of user user1; use the user's id, user1`},
		{[]string{"users", "delete", "alice"}, exitNotFound, "use the user's id, user1"},
		{[]string{"sessions", "revoke-all", "alice"}, exitNotFound, "use the user's id, user1"},
		{[]string{"users", "show", "alice"}, exitNotFound, "use the user's id, user1"},
		{[]string{"sessions", "revoke", "--user", "alice", label}, exitNotFound, "use the user's id, user1"},
		{[]string{"sessions", "list", sessionID}, exitNotFound, "no user with that id: it is the id of a session of user user1"},
		// Nothing the database knows: what USER_ID is, and how to find one.
		{[]string{"sessions", "list", "bob"}, exitNotFound, `no user "bob": USER_ID is a user's id as users list prints it, not a username or email address (luciapg users show --key PROVIDER:USER finds a user by a key, such as --key username:bob)`},
		{[]string{"sessions", "list", "bob@example.com"}, exitNotFound, "such as --key email:bob@example.com"},
		{[]string{"sessions", "list", "github:42"}, exitNotFound, `no user "github:42", nor a key with that id`},
		// A user id or a label where a session id goes: --user.
		{[]string{"sessions", "revoke", "user1"}, exitNotFound, `no such session: "user1" is a user's id; sessions revoke --user user1 LABEL revokes one of their sessions by the label sessions list shows, sessions revoke-all user1 every one`},
		{[]string{"sessions", "revoke", label}, exitNotFound, "that looks like a session's label, as sessions list shows it; revoke by label with sessions revoke --user USER_ID LABEL"},
		{[]string{"sessions", "revoke", "secretsessionid0123456789abcdefghiX"}, exitNotFound, "no such session: SESSION_ID is a session's whole id, as sessions list --show-ids prints it; to revoke by the label sessions list shows, use sessions revoke --user USER_ID LABEL"},
		{[]string{"sessions", "revoke", "--user", "user1", "abcdef"}, exitNotFound, "user user1 has no session labelled abcdef (luciapg sessions list user1 shows their sessions' labels)"},
		// A user id or a bare name where a key id goes.
		{[]string{"users", "show", "--key", "user1"}, exitNotFound, `no key "user1": that is a user's id (luciapg users show user1 shows that user)`},
		{[]string{"keys", "delete", "user1"}, exitNotFound, `no key "user1": that is a user's id (luciapg keys list user1 shows their keys)`},
		{[]string{"keys", "delete", "alice"}, exitNotFound, `no key "alice": a key id is PROVIDER:USER, such as username:alice`},
		{[]string{"keys", "delete", sessionID}, exitNotFound, "no key with that id: it is a session's id"},
		// --user on a command that takes the user id as its argument.
		{[]string{"sessions", "list", "--user", "user1"}, exitUsage, "flag provided but not defined: --user; sessions list takes the user id as its argument: luciapg sessions list USER_ID"},
		{[]string{"keys", "list", "--user=user1"}, exitUsage, "keys list takes the user id as its argument: luciapg keys list USER_ID"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, url, now, "", tt.args...).wantCode(t, tt.code)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q\nwant %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, "secretsessionid") {
				t.Errorf("stderr repeats a session id: %q", r.stderr)
			}
		})
	}
}
