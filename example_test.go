package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

// openStore is the setup every example shares: migrate, add the
// application's user attribute column, open a pool.
func openStore(ctx context.Context) (*luciapg.Store, *pgxpool.Pool) {
	databaseURL := os.Getenv("DATABASE_URL")
	if _, err := luciapg.MigrateConnString(ctx, databaseURL); err != nil {
		log.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		log.Fatal(err)
	}
	// User attributes are columns the application adds with a migration of
	// its own; here, inline.
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS username TEXT UNIQUE`); err != nil {
		log.Fatal(err)
	}
	return luciapg.New(pool), pool
}

// Create a user with a password key, open a session, and read the session
// back together with its user in one round trip.
func Example() {
	ctx := context.Background()
	databaseURL := os.Getenv("DATABASE_URL") // postgres://user@host:5432/db

	// Create (or update) the auth tables. Safe to run from every instance
	// at start-up: concurrent calls are serialized.
	if _, err := luciapg.MigrateConnString(ctx, databaseURL); err != nil {
		log.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS username TEXT UNIQUE`); err != nil {
		log.Fatal(err)
	}
	store := luciapg.New(pool)

	hash := "s2:0123456789abcdef:06f0075911f5..." // from auth.HashPassword
	user, err := store.SetUser(ctx,
		luciapg.User{ID: "ada0000000000001", Attributes: map[string]any{"username": "ada"}},
		&luciapg.Key{ID: "username:ada", PrimaryKey: true, HashedPassword: &hash},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", user.ID, user.Attributes["username"])

	activeExpires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	err = store.SetSession(ctx, luciapg.Session{
		ID:            "session-id-from-crypto-rand",
		UserID:        user.ID,
		ActiveExpires: activeExpires,
		IdleExpires:   activeExpires + (14 * 24 * time.Hour).Milliseconds(),
	})
	if err != nil {
		log.Fatal(err)
	}

	session, sessionUser, err := store.GetSessionAndUser(ctx, "session-id-from-crypto-rand")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session of", sessionUser.Attributes["username"], "active until", time.UnixMilli(session.ActiveExpires).UTC().Format(time.DateOnly))
	// Output:
	// created ada0000000000001 ada
	// session of ada active until 2030-01-01
}

// Known failures are sentinel errors carrying Lucia's error codes.
func ExampleStore_SetUser_duplicateKey() {
	ctx := context.Background()
	store, pool := openStore(ctx)
	defer pool.Close()

	key := &luciapg.Key{ID: "email:grace@example.com", PrimaryKey: true}
	if _, err := store.SetUser(ctx, luciapg.User{ID: "grace000000001"}, key); err != nil {
		log.Fatal(err)
	}
	_, err := store.SetUser(ctx, luciapg.User{ID: "impostor000001"}, key)
	fmt.Println(errors.Is(err, luciapg.ErrDuplicateKeyID), err)

	// Nothing of the refused user was written.
	_, err = store.GetUser(ctx, "impostor000001")
	fmt.Println(errors.Is(err, luciapg.ErrInvalidUserID))

	var known *luciapg.Error
	if errors.As(err, &known) {
		fmt.Println(known.Code())
	}
	// Output:
	// true AUTH_DUPLICATE_KEY_ID
	// true
	// AUTH_INVALID_USER_ID
}

// A Store on the application's own transaction: the user and the
// application's rows commit or roll back together.
func ExampleNew_transaction() {
	ctx := context.Background()
	_, pool := openStore(ctx)
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS profile (user_id TEXT PRIMARY KEY REFERENCES auth_user(id), bio TEXT)`); err != nil {
		log.Fatal(err)
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx) // a no-op after Commit

	store := luciapg.New(tx)
	user, err := store.SetUser(ctx, luciapg.User{ID: "linus00000001"}, &luciapg.Key{ID: "github:1024", PrimaryKey: true})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO profile (user_id, bio) VALUES ($1, $2)`, user.ID, "kernel"); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}

	var bio string
	if err := pool.QueryRow(ctx, `SELECT bio FROM profile WHERE user_id = $1`, user.ID).Scan(&bio); err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.ID, bio)
	// Output: linus00000001 kernel
}

// Attributes are updated by column name; nil stores NULL.
func ExampleStore_UpdateUserAttributes() {
	ctx := context.Background()
	store, pool := openStore(ctx)
	defer pool.Close()

	if _, err := store.SetUser(ctx, luciapg.User{ID: "barbara0000001", Attributes: map[string]any{"username": "barbara"}}, nil); err != nil {
		log.Fatal(err)
	}
	user, err := store.UpdateUserAttributes(ctx, "barbara0000001", map[string]any{"username": "liskov"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.Attributes["username"])
	user, err = store.UpdateUserAttributes(ctx, "barbara0000001", map[string]any{"username": nil})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.Attributes["username"])
	// Output:
	// liskov
	// <nil>
}

// DeleteUser removes the user with its sessions and keys, atomically.
func ExampleStore_DeleteUser() {
	ctx := context.Background()
	store, pool := openStore(ctx)
	defer pool.Close()

	if _, err := store.SetUser(ctx, luciapg.User{ID: "edsger00000001"}, &luciapg.Key{ID: "email:edsger@example.com"}); err != nil {
		log.Fatal(err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: "edsger-session", UserID: "edsger00000001", ActiveExpires: 1, IdleExpires: 2}); err != nil {
		log.Fatal(err)
	}
	if err := store.DeleteUser(ctx, "edsger00000001"); err != nil {
		log.Fatal(err)
	}
	_, err := store.GetKey(ctx, "email:edsger@example.com")
	fmt.Println(errors.Is(err, luciapg.ErrInvalidKeyID))
	_, err = store.GetSession(ctx, "edsger-session")
	fmt.Println(errors.Is(err, luciapg.ErrInvalidSessionID))
	// Output:
	// true
	// true
}

// Teams that run migrations with their own tooling can take the files
// from MigrationsFS (dbmate format) and record them in MigrationsTable.
func ExampleMigrationsFS() {
	files, err := fs.Glob(luciapg.MigrationsFS(), "*.sql")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(files[0], luciapg.MigrationsTable)
	// Output: 20261126000000_create_auth_tables.sql luciapg_schema_migrations
}
