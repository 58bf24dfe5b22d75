package luciapg_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

// A service purges dead sessions in the background for as long as it
// runs. (Compiled, not run: it needs a database.)
func ExampleNewJanitor() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	janitor, err := luciapg.NewJanitor(luciapg.New(pool), luciapg.JanitorConfig{
		Interval:     10 * time.Minute,
		BatchSize:    1000,
		BatchTimeout: 5 * time.Second,
		Logger:       slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	// Closed before the pool: the purge under way stops first.
	defer janitor.Close()

	// ... serve requests until ctx ends ...
	<-ctx.Done()
}

// A nightly job purges once, in batches of 5,000 sessions.
func ExampleStore_PurgeDeadSessions() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	deleted, err := luciapg.New(pool).PurgeDeadSessions(ctx, time.Now(), luciapg.PurgeOptions{BatchSize: 5000})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("purged %d dead sessions", deleted)
}
