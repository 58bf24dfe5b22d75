package luciapg_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

const sqlstateUndefinedColumn = "42703"

func TestUnknownAttributeColumnIsTheDatabasesError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)

	_, err := store.SetUser(ctx, luciapg.User{ID: "u1", Attributes: map[string]any{"no_such_column": 1}},
		&luciapg.Key{ID: "email:u1", UserID: "u1"})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != sqlstateUndefinedColumn {
		t.Fatalf("SetUser with an unknown column: %v, want *pgconn.PgError %s", err, sqlstateUndefinedColumn)
	}
	if userCount(t, pool, "u1") != 0 || keyCount(t, pool, "email:u1") != 0 {
		t.Fatal("a refused SetUser left rows behind")
	}

	if _, err := store.SetUser(ctx, luciapg.User{ID: "u2"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = store.UpdateUserAttributes(ctx, "u2", map[string]any{"no_such_column": 1})
	if !errors.As(err, &pgErr) || pgErr.Code != sqlstateUndefinedColumn {
		t.Fatalf("UpdateUserAttributes with an unknown column: %v, want *pgconn.PgError %s", err, sqlstateUndefinedColumn)
	}
}

// TestAttributeNameInjection passes names that would change the statement
// if they were spliced into SQL. Each must be treated as one (unknown)
// column name, and the tables must be intact afterwards.
func TestAttributeNameInjection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "victim", Attributes: map[string]any{"username": "victim"}}, nil); err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		`username" = 'owned', "plan`,
		`username"; DROP TABLE auth_user; --`,
		`plan) VALUES ('x'); DELETE FROM auth_user; --`,
		`"`, `""`, `username""`, `username;`, `user name`, `ユーザー名`, `SELECT`, `*`, `$1`, `username--`,
	}
	for _, name := range hostile {
		_, err := store.SetUser(ctx, luciapg.User{ID: "attacker", Attributes: map[string]any{name: "x"}}, nil)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != sqlstateUndefinedColumn {
			t.Errorf("SetUser with attribute %q: %v, want undefined column", name, err)
		}
		_, err = store.UpdateUserAttributes(ctx, "victim", map[string]any{name: "x"})
		if !errors.As(err, &pgErr) || pgErr.Code != sqlstateUndefinedColumn {
			t.Errorf("UpdateUserAttributes with attribute %q: %v, want undefined column", name, err)
		}
	}
	got, err := store.GetUser(ctx, "victim")
	if err != nil {
		t.Fatal(err)
	}
	if got.Attributes["username"] != "victim" || got.Attributes["plan"] != "free" {
		t.Fatalf("victim changed: %+v", got)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM auth_user"); n != 1 {
		t.Fatalf("auth_user has %d rows, want 1", n)
	}
}

// A column whose name needs quoting works once the application has it.
func TestQuotedAttributeColumn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	name := `Display "Name"; x`
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN "Display ""Name""; x" TEXT`); err != nil {
		t.Fatal(err)
	}
	store := luciapg.New(pool)
	user, err := store.SetUser(ctx, luciapg.User{ID: "u1", Attributes: map[string]any{name: "Ada; DROP TABLE auth_user"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user.Attributes[name] != "Ada; DROP TABLE auth_user" {
		t.Fatalf("stored attributes: %+v", user.Attributes)
	}
	user, err = store.UpdateUserAttributes(ctx, "u1", map[string]any{name: "Grace"})
	if err != nil || user.Attributes[name] != "Grace" {
		t.Fatalf("UpdateUserAttributes: %+v, %v", user, err)
	}
}

func TestInvalidAttributeNamesAreRefusedBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "id", "user\x00name", "\xff", strings.Repeat("a", 64)} {
		_, err := store.SetUser(ctx, luciapg.User{ID: "u2", Attributes: map[string]any{name: "x"}}, nil)
		if !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("SetUser with attribute %q: %v, want ErrInvalidInput", name, err)
		}
		_, err = store.UpdateUserAttributes(ctx, "u1", map[string]any{name: "x"})
		if !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("UpdateUserAttributes with attribute %q: %v, want ErrInvalidInput", name, err)
		}
	}
	if userCount(t, pool, "u2") != 0 {
		t.Fatal("a refused SetUser wrote a row")
	}
}

func TestSetUserKeyOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)

	// An empty key UserID means "this user".
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1", PrimaryKey: true}); err != nil {
		t.Fatal(err)
	}
	key, err := store.GetKey(ctx, "email:u1")
	if err != nil || key.UserID != "u1" {
		t.Fatalf("GetKey: %+v, %v; want the key owned by u1", key, err)
	}

	// A key for another user is refused, and nothing is written.
	_, err = store.SetUser(ctx, luciapg.User{ID: "u2"}, &luciapg.Key{ID: "email:u2", UserID: "u1"})
	if !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Fatalf("SetUser with another user's key: %v, want ErrInvalidInput", err)
	}
	if userCount(t, pool, "u2") != 0 || keyCount(t, pool, "email:u2") != 0 {
		t.Fatal("a refused SetUser wrote rows")
	}
}
