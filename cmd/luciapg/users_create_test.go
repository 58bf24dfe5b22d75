package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

func TestUsersCreate(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	ctx := context.Background()
	now := time.Now()

	r := runCLI(t, url, now, "s3cret pass\n", "users", "create", "--key", "username:alice",
		"--password-stdin", "--attr", "username=alice", "--attr", "nickname=Al", "--json").wantCode(t, exitOK)
	var view userView
	if err := json.Unmarshal([]byte(r.stdout), &view); err != nil {
		t.Fatalf("users create --json: %v\n%s", err, r.stdout)
	}
	if len(view.ID) != auth.DefaultUserIDLength || view.Attributes["nickname"] != "Al" || len(view.Keys) != 1 || !view.Keys[0].PrimaryKey {
		t.Errorf("users create --json = %+v", view)
	}
	key, err := store.GetKey(ctx, "username:alice")
	if err != nil || key.UserID != view.ID {
		t.Fatalf("the key was not stored for the new user: %+v, %v", key, err)
	}
	if ok, err := auth.VerifyPassword(*key.HashedPassword, "s3cret pass"); err != nil || !ok {
		t.Errorf("the stored hash does not verify the password: %v, %v", ok, err)
	}
	if strings.Contains(r.stdout, *key.HashedPassword) || strings.Contains(r.stdout, "s3cret") {
		t.Errorf("users create prints the password or its hash:\n%s", r.stdout)
	}

	r = runCLI(t, url, now, "", "users", "create", "--id", "fixed-id").wantCode(t, exitOK)
	if !strings.HasPrefix(r.stdout, "Created user fixed-id.\n") {
		t.Errorf("users create printed:\n%s", r.stdout)
	}
	if _, err := store.GetUser(ctx, "fixed-id"); err != nil {
		t.Fatalf("GetUser(fixed-id): %v", err)
	}

	r = runCLI(t, url, now, "", "users", "create", "--id", "fixed-id").wantCode(t, exitRefused)
	if !strings.Contains(r.stderr, `user id "fixed-id" is taken`) {
		t.Errorf("duplicate user id: %q", r.stderr)
	}
	r = runCLI(t, url, now, "", "users", "create", "--key", "username:alice").wantCode(t, exitRefused)
	if !strings.Contains(r.stderr, `key "username:alice" is taken`) {
		t.Errorf("duplicate key: %q", r.stderr)
	}
	runCLI(t, url, now, "", "users", "create", "--key", "no-colon").wantCode(t, exitUsage)
	runCLI(t, url, now, "pw\n", "users", "create", "--password-stdin").wantCode(t, exitUsage)
	runCLI(t, url, now, "", "users", "create", "--attr", "novalue").wantCode(t, exitUsage)
	r = runCLI(t, url, now, "", "users", "create", "--attr", "no_such_column=1").wantCode(t, exitFailure)
	if !strings.Contains(r.stderr, "no_such_column") {
		t.Errorf("unknown attribute column: %q", r.stderr)
	}
}

// A key of the provider "username" is what the example web app logs in
// with; the CLI refuses names the web app's login form can never match.
func TestUsersCreateRefusesUsernamesTheWebAppRefuses(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	for _, name := range []string{"Alice", "al", "a b", "alice!", " alice", strings.Repeat("a", 32), "ålice"} {
		r := runCLI(t, url, now, "", "users", "create", "--key", "username:"+name).wantCode(t, exitUsage)
		if !strings.Contains(r.stderr, "3 to 31") {
			t.Errorf("username %q refused with %q; want the rule", name, r.stderr)
		}
		if _, err := store.GetKey(context.Background(), "username:"+name); err == nil {
			t.Errorf("username %q: the key was stored", name)
		}
	}
	// Other providers keep their own rules.
	runCLI(t, url, now, "", "users", "create", "--key", "email:Alice@Example.com").wantCode(t, exitOK)
	runCLI(t, url, now, "", "users", "create", "--key", "username:alice_2").wantCode(t, exitOK)
}

// A key created without a password can only be used without one, through
// auth.UsePasswordlessKey; the CLI says so.
func TestUsersCreateSaysAKeyWithoutPasswordIsPasswordless(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	now := time.Now()
	r := runCLI(t, url, now, "", "users", "create", "--key", "email:alice@example.com").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "Key email:alice@example.com has no password: it can only be used without one (auth.UsePasswordlessKey).") {
		t.Errorf("users create without a password printed:\n%s", r.stdout)
	}
	r = runCLI(t, url, now, "pass word\n", "users", "create", "--key", "username:bob", "--password-stdin").wantCode(t, exitOK)
	if strings.Contains(r.stdout, "no password") {
		t.Errorf("users create with a password printed:\n%s", r.stdout)
	}
}
