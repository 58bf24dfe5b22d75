package replica_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/replica"
)

// Reads go to a streaming standby while it is at most a second behind the
// primary; writes, and reads while it lags, go to the primary. (Compiled,
// not run: it needs a standby.)
func ExampleNew() {
	ctx := context.Background()
	primaryPool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer primaryPool.Close()
	standbyPool, err := pgxpool.New(ctx, os.Getenv("DATABASE_STANDBY_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer standbyPool.Close()

	router, err := replica.New(primaryPool, standbyPool, replica.Config{MaxLag: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer router.Close()
	a, err := auth.New(router, auth.Config{})
	if err != nil {
		log.Fatal(err)
	}

	// A login writes on the primary; validating the session on later
	// requests reads from the standby once it has replayed the write.
	user, err := a.CreateUser(ctx, auth.CreateUserParams{})
	if err != nil {
		log.Fatal(err)
	}
	session, err := a.CreateSession(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := a.ValidateSession(ctx, session.ID); err != nil {
		log.Fatal(err)
	}
}
