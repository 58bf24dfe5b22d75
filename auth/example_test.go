package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// Sign up with a username and password, log in, and check the session on a
// later request.
func Example() {
	ctx := context.Background()
	// In production: auth.New(luciapg.New(pool), auth.Config{}).
	a, err := auth.New(memadapter.New(memadapter.Column{Name: "username", Unique: true}), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}

	// Sign up: the user and its password key are created together.
	_, err = a.CreateUser(ctx, auth.CreateUserParams{
		Key:        &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "correct horse"},
		Attributes: map[string]any{"username": "ada"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Log in: check the password, then open a session.
	_, err = a.Login(ctx, "username", "ada", "wrong horse")
	fmt.Println("wrong password:", errors.Is(err, auth.ErrInvalidPassword))
	session, err := a.Login(ctx, "username", "ada", "correct horse")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("new session:", session.State, "fresh:", session.Fresh)

	// A later request presents session.ID (the cookie's value).
	session, user, err := a.ValidateSessionUser(ctx, session.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("validated:", session.State, "fresh:", session.Fresh, "user:", user.Attributes["username"])

	// Log out.
	_ = a.InvalidateSession(ctx, session.ID)
	_, err = a.ValidateSession(ctx, session.ID)
	fmt.Println("after logout:", errors.Is(err, luciapg.ErrInvalidSessionID))
	// Output:
	// wrong password: true
	// new session: active fresh: true
	// validated: active fresh: false user: ada
	// after logout: true
}

// A session is active for a day, then idle for 14 days: validating an idle
// session renews it in place (same id, later expiries, Fresh: send the
// cookie again). After that it is dead.
func ExampleAuth_ValidateSession() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := auth.New(memadapter.New(), auth.Config{Now: func() time.Time { return now }})
	if err != nil {
		log.Fatal(err)
	}
	user, _ := a.CreateUser(ctx, auth.CreateUserParams{})
	session, _ := a.CreateSession(ctx, user.ID)

	now = now.Add(36 * time.Hour) // past the active period: idle
	renewed, err := a.ValidateSession(ctx, session.ID)
	fmt.Println(renewed.State, "fresh:", renewed.Fresh, "same id:", renewed.ID == session.ID, err)
	fmt.Println("renewed until", renewed.IdleExpires.Format(time.DateOnly))

	now = now.Add(30 * 24 * time.Hour) // past both idle periods: dead
	_, err = a.ValidateSession(ctx, renewed.ID)
	fmt.Println(errors.Is(err, luciapg.ErrInvalidSessionID))
	// Output:
	// active fresh: true same id: true <nil>
	// renewed until 2026-01-17
	// true
}

// A single-use key without a password, such as a magic login link's token,
// works once.
func ExampleAuth_UsePasswordlessKey_singleUse() {
	ctx := context.Background()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	user, _ := a.CreateUser(ctx, auth.CreateUserParams{})
	_, _ = a.CreateKey(ctx, user.ID, auth.CreateKeyParams{
		ProviderID: "magic-link", ProviderUserID: "tok3n", ExpiresIn: 15 * time.Minute,
	})

	key, err := a.UsePasswordlessKey(ctx, "magic-link", "tok3n")
	fmt.Println(key.SingleUse(), key.UserID == user.ID, err)
	_, err = a.UsePasswordlessKey(ctx, "magic-link", "tok3n")
	fmt.Println(errors.Is(err, luciapg.ErrInvalidKeyID))
	// Output:
	// true true <nil>
	// true
}

// Hashes are Lucia v1's, so either side can check the other's. This one was
// made by Lucia v1 for "password123".
func ExampleVerifyPassword() {
	hash := "s2:0123456789abcdef:06f0075911f59cbbc65e0b9f260a29e593427041e7e5afc48cde8a5f72a544a104242cd57a21fc52aa1e9f737ee85fc558640d82204f7efe7da69e1cdd60b111"
	ok, err := auth.VerifyPassword(hash, "password123")
	fmt.Println(ok, err)
	// Output: true <nil>
}

// With PostgreSQL, the Store is the adapter. (Compiled, not run: it needs
// a database.)
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	if _, err := luciapg.MigrateConnString(ctx, os.Getenv("DATABASE_URL")); err != nil {
		panic(err)
	}
	a, err := auth.New(luciapg.New(pool), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_ = a
}
