package luciapg_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// adoptedDatabase returns a pool on a database shaped like one created by
// hand from Lucia's documentation: the same tables, but constraints named
// otherwise. The username column's UNIQUE constraint is even given the
// name luciapg's migration gives the users' primary key, and nickname has
// a unique index rather than a constraint. An application table references
// auth_user.
func adoptedDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testdb.Pool(t, testdb.NewURL(t), 2)
	for _, ddl := range []string{
		`ALTER TABLE auth_user RENAME CONSTRAINT auth_user_pkey TO users_pk`,
		`ALTER TABLE auth_key RENAME CONSTRAINT auth_key_pkey TO keys_pk`,
		`ALTER TABLE auth_session RENAME CONSTRAINT auth_session_pkey TO user_session_pkey`,
		`ALTER TABLE auth_session RENAME CONSTRAINT auth_session_user_id_fkey TO session_owner`,
		`ALTER TABLE auth_key RENAME CONSTRAINT auth_key_user_id_fkey TO key_owner`,
		`ALTER TABLE auth_user RENAME CONSTRAINT auth_user_username_key TO auth_user_pkey`,
		`CREATE UNIQUE INDEX nickname_unique ON auth_user (nickname)`,
		`CREATE TABLE profile (user_id text NOT NULL REFERENCES auth_user (id), bio text)`,
	} {
		if _, err := pool.Exec(context.Background(), ddl); err != nil {
			t.Fatalf("%s: %v", ddl, err)
		}
	}
	return pool
}

// wantDatabaseError fails unless err is PostgreSQL's own error with code,
// passed through rather than mistaken for one of the contract's errors.
func wantDatabaseError(t *testing.T, op string, err error, code string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		t.Errorf("%s: got %v, want PostgreSQL's error %s", op, err, code)
	}
	var known *luciapg.Error
	if errors.As(err, &known) {
		t.Errorf("%s: got the contract's %v, want the database's error", op, known)
	}
}

// wantDuplicateAttribute fails unless err is ErrDuplicateAttribute naming
// column, with PostgreSQL's unique violation in its chain, and is not a
// duplicate user id.
func wantDuplicateAttribute(t *testing.T, op string, err error, column string) {
	t.Helper()
	var e *luciapg.Error
	var pgErr *pgconn.PgError
	if !errors.Is(err, luciapg.ErrDuplicateAttribute) || !errors.As(err, &e) || e.Column() != column ||
		!errors.As(err, &pgErr) || pgErr.Code != "23505" || errors.Is(err, luciapg.ErrDuplicateUserID) {
		t.Errorf("%s: got %v, want ErrDuplicateAttribute for %s wrapping PostgreSQL's 23505", op, err, column)
	}
}

func TestAdoptedConstraintNames(t *testing.T) {
	t.Parallel()
	pool := adoptedDatabase(t)
	store := luciapg.New(pool)
	ctx := callContext(t)
	owner := luciapg.User{ID: "owner", Attributes: map[string]any{"username": "owner_name", "nickname": "owl"}}
	if _, err := store.SetUser(ctx, owner, &luciapg.Key{ID: "email:owner", PrimaryKey: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: "session", UserID: "owner", ActiveExpires: 1, IdleExpires: 2}); err != nil {
		t.Fatal(err)
	}

	t.Run("duplicate user id", func(t *testing.T) {
		_, err := store.SetUser(ctx, luciapg.User{ID: "owner"}, nil)
		wantErr(t, "SetUser", err, luciapg.ErrDuplicateUserID)
		_, err = store.SetUser(ctx, luciapg.User{ID: "owner"}, &luciapg.Key{ID: "email:other", PrimaryKey: true})
		wantErr(t, "SetUser with a key", err, luciapg.ErrDuplicateUserID)
		if keyCount(t, pool, "email:other") != 0 {
			t.Error("a SetUser refused for its user id stored its key")
		}
	})
	t.Run("duplicate key id", func(t *testing.T) {
		_, err := store.SetUser(ctx, luciapg.User{ID: "newcomer"}, &luciapg.Key{ID: "email:owner", PrimaryKey: true})
		wantErr(t, "SetUser with a taken key id", err, luciapg.ErrDuplicateKeyID)
		if userCount(t, pool, "newcomer") != 0 {
			t.Error("a SetUser refused for its key stored its user")
		}
		wantErr(t, "SetKey", store.SetKey(ctx, luciapg.Key{ID: "email:owner", UserID: "owner"}), luciapg.ErrDuplicateKeyID)
	})
	t.Run("duplicate session id", func(t *testing.T) {
		err := store.SetSession(ctx, luciapg.Session{ID: "session", UserID: "owner", ActiveExpires: 3, IdleExpires: 4})
		wantErr(t, "SetSession", err, luciapg.ErrDuplicateSessionID)
	})
	t.Run("session or key with an unknown user", func(t *testing.T) {
		err := store.SetSession(ctx, luciapg.Session{ID: "orphan", UserID: "nobody", ActiveExpires: 1, IdleExpires: 2})
		wantErr(t, "SetSession", err, luciapg.ErrInvalidUserID)
		wantErr(t, "SetKey", store.SetKey(ctx, luciapg.Key{ID: "email:orphan", UserID: "nobody"}), luciapg.ErrInvalidUserID)
	})
	t.Run("unique attribute columns are ErrDuplicateAttribute, never a duplicate id", func(t *testing.T) {
		// username's constraint is called auth_user_pkey; nickname has a
		// unique index. Neither is a duplicate user id.
		for name, value := range map[string]string{"username": "owner_name", "nickname": "owl"} {
			_, err := store.SetUser(ctx, luciapg.User{ID: "copycat_" + name, Attributes: map[string]any{name: value}}, nil)
			wantDuplicateAttribute(t, "SetUser with a taken "+name, err, name)
			_, err = store.SetUser(ctx, luciapg.User{ID: "copycat_" + name, Attributes: map[string]any{name: value}},
				&luciapg.Key{ID: "email:copycat_" + name, PrimaryKey: true})
			wantDuplicateAttribute(t, "SetUser with a key and a taken "+name, err, name)
			if _, err := store.SetUser(ctx, luciapg.User{ID: "copycat_" + name}, nil); err != nil {
				t.Fatal(err)
			}
			_, err = store.UpdateUserAttributes(ctx, "copycat_"+name, map[string]any{name: value})
			wantDuplicateAttribute(t, "UpdateUserAttributes to a taken "+name, err, name)
		}
	})
	t.Run("deleting a user an application's table references", func(t *testing.T) {
		if _, err := pool.Exec(ctx, `INSERT INTO profile (user_id, bio) VALUES ('owner', 'hi')`); err != nil {
			t.Fatal(err)
		}
		wantDatabaseError(t, "DeleteUser", store.DeleteUser(ctx, "owner"), "23503")
		if userCount(t, pool, "owner") != 1 {
			t.Error("the refused DeleteUser deleted the user")
		}
	})
}

// In a caller's transaction, a taken user id is reported without aborting
// the transaction: the caller can pick another id and go on.
func TestDuplicateUserIDKeepsCallersTransaction(t *testing.T) {
	t.Parallel()
	pool := adoptedDatabase(t)
	ctx := callContext(t)
	if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "taken"}, nil); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	store := luciapg.New(tx)
	_, err = store.SetUser(ctx, luciapg.User{ID: "taken"}, &luciapg.Key{ID: "email:taken2", PrimaryKey: true})
	wantErr(t, "SetUser", err, luciapg.ErrDuplicateUserID)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "taken2"}, &luciapg.Key{ID: "email:taken2", PrimaryKey: true}); err != nil {
		t.Fatalf("SetUser after a duplicate in the same transaction: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if userCount(t, pool, "taken2") != 1 || keyCount(t, pool, "email:taken2") != 1 {
		t.Error("the transaction did not commit the second SetUser")
	}
}

func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", op, err, want)
	}
}
