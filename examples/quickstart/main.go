// Command quickstart walks through luciapg on a real database: migrate,
// create a user with an attribute and a password key, open a session, read
// it back with its user in one round trip, see a duplicate key refused, and
// delete the user. Run it with `make demo`.
//
// It uses DATABASE_URL when set — any connection string pgx accepts: a
// postgres:// URL with or without sslmode, or host=... dbname=... — else
// the local server at postgres://postgres@127.0.0.1:5432/postgres (`make
// demo` sets DATABASE_URL to a throwaway Docker PostgreSQL when only a
// Docker engine answers). When the database cannot be reached it says why in one line, and what to
// do (luciapg.ExplainConnectError).
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// localURL is the server used when DATABASE_URL is unset: a developer
// machine's PostgreSQL with trust authentication on the loopback interface.
const localURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv("DATABASE_URL")); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, databaseURL string) error {
	source := "DATABASE_URL"
	if databaseURL == "" {
		databaseURL, source = localURL, "the local server"
	}
	// Connect first: its error says in one line what is wrong and what to do.
	pool, err := luciapg.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	defer pool.Close()
	fmt.Fprintf(out, "Database: %s (%s)\n\n", describe(databaseURL), source)

	// Migrations run over a connection made as the pool's are (TLS, a
	// dialer, a token-based password all carry over).
	if _, err := luciapg.Migrate(ctx, pool.Config().ConnConfig); err != nil {
		return err
	}
	// An application adds its user attributes as columns of auth_user.
	if _, err := pool.Exec(ctx, `ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS username TEXT UNIQUE`); err != nil {
		return err
	}
	fmt.Fprintf(out, "1. Migrated: auth_user, auth_session, auth_key (recorded in %s),\n   plus a username column for user attributes.\n", luciapg.MigrationsTable)

	store := luciapg.New(pool)
	username := "ada_" + rand.Text()[:6]
	// Lucia v1's scrypt format, so a Lucia JavaScript app can check it too.
	hash, err := auth.HashPassword("correct horse battery staple")
	if err != nil {
		return err
	}
	user, err := store.SetUser(ctx,
		luciapg.User{ID: rand.Text()[:15], Attributes: map[string]any{"username": username}},
		&luciapg.Key{ID: "username:" + username, PrimaryKey: true, HashedPassword: &hash},
	)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "2. Created user %s (username %q) with the password key %q,\n   both in one atomic statement.\n", user.ID, user.Attributes["username"], "username:"+username)
	key, err := store.GetKey(ctx, "username:"+username)
	if err != nil {
		return err
	}
	matches, err := auth.VerifyPassword(*key.HashedPassword, "correct horse battery staple")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   The stored hash is in Lucia v1's scrypt format; the password matches it: %v.\n", matches)

	now := time.Now()
	session := luciapg.Session{
		ID:            rand.Text()[:26],
		UserID:        user.ID,
		ActiveExpires: now.Add(24 * time.Hour).UnixMilli(),
		IdleExpires:   now.Add(15 * 24 * time.Hour).UnixMilli(),
	}
	if err := store.SetSession(ctx, session); err != nil {
		return err
	}
	fmt.Fprintf(out, "3. Opened a session: active until %s, idle until %s.\n",
		time.UnixMilli(session.ActiveExpires).Format(time.DateTime), time.UnixMilli(session.IdleExpires).Format(time.DateTime))

	gotSession, gotUser, err := store.GetSessionAndUser(ctx, session.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "4. Read the session back with its user in one round trip: user %q, session of %s.\n",
		gotUser.Attributes["username"], gotSession.UserID)

	_, err = store.SetUser(ctx, luciapg.User{ID: rand.Text()[:15]}, &luciapg.Key{ID: "username:" + username, PrimaryKey: true})
	if !errors.Is(err, luciapg.ErrDuplicateKeyID) {
		return fmt.Errorf("a second user with the same key: got %v, want %v", err, luciapg.ErrDuplicateKeyID)
	}
	fmt.Fprintf(out, "5. A second user with the key %q was refused: %v; nothing of it was written.\n", "username:"+username, err)

	if err := store.DeleteUser(ctx, user.ID); err != nil {
		return err
	}
	_, err = store.GetSession(ctx, session.ID)
	fmt.Fprintf(out, "6. Deleted the user with its sessions and keys; reading the session now gives %v.\n", err)
	return nil
}

// describe names the database a connection string leads to — user, server
// and database, never the password — whatever the string's form.
func describe(connString string) string {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return "(not a connection string)" // Find has connected with it, so this does not happen
	}
	_, address := pgconn.NetworkAddress(cfg.Host, cfg.Port)
	return fmt.Sprintf("database %s on %s as %s", cfg.Database, address, cfg.User)
}
