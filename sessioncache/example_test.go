package sessioncache_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/sessioncache"
)

// Sessions are validated from memory; a logout through any other Store
// (another instance of the service, a Lucia v1 app) reaches the cache
// through the change log that luciapg's triggers keep.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := luciapg.Migrate(ctx, cfg.ConnConfig); err != nil {
		log.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	cache, err := sessioncache.New(ctx, luciapg.New(pool), sessioncache.Config{
		// One connection of its own, to read the change log (a pooler is fine).
		ConnString:   os.Getenv("DATABASE_URL"),
		MaxEntries:   100_000,               // those not read lately evicted first
		MaxStaleness: time.Minute,           // re-read an entry after this, whatever happens
		PollInterval: 10 * time.Millisecond, // how soon another process's logout is seen
		Logger:       slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	a, err := auth.New(cache, auth.Config{}) // the Store under the cache counts attempts
	if err != nil {
		log.Fatal(err)
	}

	user, err := a.CreateUser(ctx, auth.CreateUserParams{})
	if err != nil {
		log.Fatal(err)
	}
	session, err := a.CreateSession(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	validated, err := a.ValidateSession(ctx, session.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("validated:", validated.State)

	// Another instance, on the Store alone, logs the session out.
	other, err := auth.New(luciapg.New(pool), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	if err := other.InvalidateSession(ctx, session.ID); err != nil {
		log.Fatal(err)
	}
	// The change is read from the log within PollInterval: retry, with a deadline.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = a.ValidateSession(ctx, session.ID)
		if errors.Is(err, luciapg.ErrInvalidSessionID) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("after a logout elsewhere:", errors.Is(err, luciapg.ErrInvalidSessionID))
	// Output:
	// validated: active
	// after a logout elsewhere: true
}
