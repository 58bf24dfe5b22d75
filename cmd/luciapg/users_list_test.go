package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// usersPage is users list --json.
type usersPage struct {
	Order     string         `json:"order"`
	Users     []userListItem `json:"users"`
	NextAfter *string        `json:"next_after"`
}

func listIDs(t *testing.T, url string, args ...string) ([]string, *string) {
	t.Helper()
	r := runCLI(t, url, time.Now(), "", append([]string{"users", "list", "--json"}, args...)...).wantCode(t, exitOK)
	var page usersPage
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		t.Fatalf("users list --json: %v\n%s", err, r.stdout)
	}
	ids := []string{}
	for _, u := range page.Users {
		ids = append(ids, u.ID)
	}
	return ids, page.NextAfter
}

// Without a created_at column (Lucia's schema has none) users are listed
// by id, and --after USER_ID continues after the last one listed.
func TestUsersListByIDWithCursor(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	now := time.Now()
	seedUser(t, store, "user3", "carol", luciaHash, session("carolsession", now, time.Hour, 2*time.Hour))
	seedUser(t, store, "user1", "alice", luciaHash)
	seedUser(t, store, "user2", "bob", luciaHash)

	r := runCLI(t, url, now, "", "users", "list").wantCode(t, exitOK)
	// The test databases' auth_user has the attribute columns nickname,
	// plan (default 'free') and username.
	want := "ID     nickname  plan  username  KEYS            SESSIONS\n" +
		"user1  NULL      free  alice     username:alice  0\n" +
		"user2  NULL      free  bob       username:bob    0\n" +
		"user3  NULL      free  carol     username:carol  1\n" +
		"(3 users, by id)\n"
	if r.stdout != want {
		t.Errorf("users list printed:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = runCLI(t, url, now, "", "users", "list", "--limit", "2").wantCode(t, exitOK)
	if !strings.HasSuffix(r.stdout, "(2 users, by id; next page: --after user2)\n") {
		t.Errorf("users list --limit 2 printed:\n%s", r.stdout)
	}
	ids, next := listIDs(t, url, "--limit", "2")
	if !slices.Equal(ids, []string{"user1", "user2"}) || next == nil || *next != "user2" {
		t.Fatalf("first page %v, next %v", ids, next)
	}
	ids, next = listIDs(t, url, "--limit", "2", "--after", *next)
	if !slices.Equal(ids, []string{"user3"}) || next != nil {
		t.Fatalf("second page %v, next %v", ids, next)
	}
	// By id, the cursor needs no user: one deleted meanwhile still works.
	ids, _ = listIDs(t, url, "--after", "user1x")
	if !slices.Equal(ids, []string{"user2", "user3"}) {
		t.Fatalf("after a missing id: %v", ids)
	}
	r = runCLI(t, url, now, "", "users", "list", "--after", "user3").wantCode(t, exitOK)
	if r.stdout != "ID  nickname  plan  username  KEYS  SESSIONS\n(none)\n(0 users, by id)\n" {
		t.Errorf("an empty page printed:\n%s", r.stdout)
	}
	for _, bad := range []string{"0", "-1", "1001", "x"} {
		runCLI(t, url, now, "", "users", "list", "--limit", bad).wantCode(t, exitUsage)
	}
}

// With a created_at attribute column, users are listed newest first, ties
// broken by id, users without a created_at last; the cursor is stable
// while users are added.
func TestUsersListNewestFirstByCreatedAt(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	pool := testdb.Pool(t, url, 1)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN created_at TIMESTAMPTZ`); err != nil {
		t.Fatal(err)
	}
	store := luciapg.New(pool)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(id string, createdAt any) {
		t.Helper()
		if _, err := store.SetUser(ctx, luciapg.User{ID: id, Attributes: map[string]any{"created_at": createdAt}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	add("old", base)
	add("tie-a", base.Add(time.Hour))
	add("tie-b", base.Add(time.Hour))
	add("new", base.Add(2*time.Hour))
	add("undated-1", nil)
	add("undated-2", nil)

	ids, next := listIDs(t, url)
	if want := []string{"new", "tie-b", "tie-a", "old", "undated-2", "undated-1"}; !slices.Equal(ids, want) || next != nil {
		t.Fatalf("newest first: %v (next %v), want %v", ids, next, want)
	}
	var all []string
	var after *string
	for page := 0; ; page++ {
		args := []string{"--limit", "2"}
		if after != nil {
			args = append(args, "--after", *after)
		}
		ids, after = listIDs(t, url, args...)
		all = append(all, ids...)
		if page == 0 {
			// A user created between pages is newer than the cursor:
			// later pages neither repeat nor skip anyone.
			add("newest", base.Add(3*time.Hour))
		}
		if after == nil {
			break
		}
	}
	if want := []string{"new", "tie-b", "tie-a", "old", "undated-2", "undated-1"}; !slices.Equal(all, want) {
		t.Fatalf("paged by 2: %v, want %v", all, want)
	}
	r := runCLI(t, url, time.Now(), "", "users", "list", "--limit", "1").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "(1 user, newest first by created_at; next page: --after newest)") {
		t.Errorf("users list --limit 1 printed:\n%s", r.stdout)
	}
	// The cursor's user must exist: its created_at is the position.
	r = runCLI(t, url, time.Now(), "", "users", "list", "--after", "gone").wantCode(t, exitNotFound)
	if !strings.Contains(r.stderr, `--after: no user "gone"`) {
		t.Errorf("a cursor naming no user: %q", r.stderr)
	}
}

func TestUsersListFilters(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 1))
	ctx := context.Background()
	seedUser(t, store, "user1", "alice", luciaHash)
	seedUser(t, store, "user2", "bob", luciaHash)
	seedUser(t, store, "user3", "a_b", luciaHash)
	if err := store.SetKey(ctx, luciapg.Key{ID: "email:bob@example.com", UserID: "user2"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--key-prefix", "email:"}, []string{"user2"}},
		{[]string{"--key-prefix", "username:a"}, []string{"user1", "user3"}},
		// LIKE's wildcards are plain characters in a prefix.
		{[]string{"--key-prefix", "username:a_"}, []string{"user3"}},
		{[]string{"--key-prefix", "username:%"}, []string{}},
		{[]string{"--attr", "username=bob"}, []string{"user2"}},
		{[]string{"--attr", "username=bob", "--key-prefix", "email:"}, []string{"user2"}},
		{[]string{"--attr", "username=alice", "--key-prefix", "email:"}, []string{}},
		{[]string{"--attr", "id=user3"}, []string{"user3"}},
	} {
		if ids, _ := listIDs(t, url, tt.args...); !slices.Equal(ids, tt.want) {
			t.Errorf("users list %v = %v, want %v", tt.args, ids, tt.want)
		}
	}
	// VALUE is text that PostgreSQL reads for the column's type.
	if _, err := testdb.Pool(t, url, 1).Exec(ctx, `ALTER TABLE auth_user ADD COLUMN age INT; UPDATE auth_user SET age = 42 WHERE id = 'user1'`); err != nil {
		t.Fatal(err)
	}
	if ids, _ := listIDs(t, url, "--attr", "age=42"); !slices.Equal(ids, []string{"user1"}) {
		t.Errorf("users list --attr age=42 = %v, want [user1]", ids)
	}
	runCLI(t, url, time.Now(), "", "users", "list", "--attr", "age=old").wantCode(t, exitFailure)
	r := runCLI(t, url, time.Now(), "", "users", "list", "--attr", "no_such_column=1").wantCode(t, exitFailure)
	if !strings.Contains(r.stderr, `--attr no_such_column=...: auth_user has no column "no_such_column" (its columns: id,`) {
		t.Errorf("an unknown column: %q", r.stderr)
	}
	// A hostile column name is quoted, never run.
	hostile := `username" IS NOT NULL; DROP TABLE auth_key; --`
	runCLI(t, url, time.Now(), "", "users", "list", "--attr", hostile+"=x").wantCode(t, exitFailure)
	if _, err := store.GetKey(ctx, "username:alice"); err != nil {
		t.Fatalf("after a hostile --attr: %v", err)
	}
}

// The lists walk an index, not the table: by id the primary key, by
// created_at the index the help recommends.
func TestUsersListUsesAnIndex(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	pool := testdb.Pool(t, url, 1)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	plan := func(order listOrder) string {
		t.Helper()
		q := usersListQuery(order, userFilter{}, 50, time.Now().UnixMilli())
		rows, err := conn.Query(ctx, "EXPLAIN "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		lines := []string{}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	// Too few rows to prefer an index on its own: forbid the alternative.
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off; SET enable_sort = off`); err != nil {
		t.Fatal(err)
	}
	if p := plan(listOrder{}); !strings.Contains(p, "auth_user_pkey") {
		t.Errorf("by id, the plan does not use the primary key:\n%s", p)
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now(); `+createdAtIndexSQL); err != nil {
		t.Fatal(err)
	}
	cursor := listOrder{byCreatedAt: true, notNull: true, after: &listCursor{createdAt: time.Now(), id: "x"}}
	if p := plan(cursor); !strings.Contains(p, "Index") || strings.Contains(p, "Sort") {
		t.Errorf("by created_at, the plan does not walk an index:\n%s", p)
	}
}
