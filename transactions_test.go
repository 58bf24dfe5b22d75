package luciapg_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

func ptr[T any](v T) *T { return &v }

// countRows counts rows matching a condition through plain SQL, never
// through the Store under test.
func countRows(t *testing.T, db luciapg.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func userCount(t *testing.T, db luciapg.DB, id string) int {
	return countRows(t, db, "SELECT count(*) FROM auth_user WHERE id = $1", id)
}

func keyCount(t *testing.T, db luciapg.DB, id string) int {
	return countRows(t, db, "SELECT count(*) FROM auth_key WHERE id = $1", id)
}

// inCallerTx runs fn with a Store on a transaction of the caller's and
// then commits or rolls back.
func inCallerTx(t *testing.T, pool *pgxpool.Pool, commit bool, fn func(store *luciapg.Store, tx pgx.Tx)) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fn(luciapg.New(tx), tx)
	if commit {
		err = tx.Commit(ctx)
	} else {
		err = tx.Rollback(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestStoreOnCallerTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := func(userID string) *luciapg.Key {
		return &luciapg.Key{ID: "email:" + userID, UserID: userID, PrimaryKey: true, HashedPassword: ptr("HASHED")}
	}

	t.Run("rollback discards the user, its key and the caller's own rows", func(t *testing.T) {
		t.Parallel()
		pool := testdb.New(t)
		inCallerTx(t, pool, false, func(store *luciapg.Store, tx pgx.Tx) {
			if _, err := store.SetUser(ctx, luciapg.User{ID: "tx-user"}, key("tx-user")); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "UPDATE auth_user SET nickname = 'app row' WHERE id = 'tx-user'"); err != nil {
				t.Fatal(err)
			}
			if userCount(t, tx, "tx-user") != 1 || keyCount(t, tx, "email:tx-user") != 1 {
				t.Fatal("inside the transaction, the user and key are not visible")
			}
			if userCount(t, pool, "tx-user") != 0 {
				t.Fatal("outside the uncommitted transaction, the user is already visible")
			}
		})
		if userCount(t, pool, "tx-user") != 0 || keyCount(t, pool, "email:tx-user") != 0 {
			t.Fatal("after rollback, the user or key remains")
		}
	})

	t.Run("commit keeps them", func(t *testing.T) {
		t.Parallel()
		pool := testdb.New(t)
		inCallerTx(t, pool, true, func(store *luciapg.Store, _ pgx.Tx) {
			if _, err := store.SetUser(ctx, luciapg.User{ID: "tx-user"}, key("tx-user")); err != nil {
				t.Fatal(err)
			}
		})
		if userCount(t, pool, "tx-user") != 1 || keyCount(t, pool, "email:tx-user") != 1 {
			t.Fatal("after commit, the user or key is missing")
		}
	})

	t.Run("DeleteUser uses a savepoint: the caller's transaction goes on and decides", func(t *testing.T) {
		t.Parallel()
		pool := testdb.New(t)
		if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "victim"}, key("victim")); err != nil {
			t.Fatal(err)
		}
		inCallerTx(t, pool, false, func(store *luciapg.Store, tx pgx.Tx) {
			if err := store.DeleteUser(ctx, "victim"); err != nil {
				t.Fatal(err)
			}
			// The transaction is still usable after the Store's own
			// commit of its savepoint, and sees the deletion.
			if userCount(t, tx, "victim") != 0 || keyCount(t, tx, "email:victim") != 0 {
				t.Fatal("inside the transaction, the deleted user is still visible")
			}
		})
		if userCount(t, pool, "victim") != 1 || keyCount(t, pool, "email:victim") != 1 {
			t.Fatal("the caller rolled back, but the deletion stuck")
		}
	})

	t.Run("a refused SetUser leaves nothing when the caller rolls back", func(t *testing.T) {
		t.Parallel()
		pool := testdb.New(t)
		if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "owner"}, key("owner")); err != nil {
			t.Fatal(err)
		}
		inCallerTx(t, pool, false, func(store *luciapg.Store, _ pgx.Tx) {
			if _, err := store.SetUser(ctx, luciapg.User{ID: "first"}, nil); err != nil {
				t.Fatal(err)
			}
			taken := key("owner")
			taken.UserID = "second"
			_, err := store.SetUser(ctx, luciapg.User{ID: "second"}, taken)
			if !errors.Is(err, luciapg.ErrDuplicateKeyID) {
				t.Fatalf("SetUser with a taken key id: %v, want ErrDuplicateKeyID", err)
			}
		})
		if userCount(t, pool, "first") != 0 || userCount(t, pool, "second") != 0 {
			t.Fatal("rows of the rolled-back transaction remain")
		}
	})
}
