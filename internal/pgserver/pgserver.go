// Package pgserver finds a PostgreSQL server to run against: an explicit
// URL, the local server, or a throwaway testcontainers PostgreSQL when only
// a Docker engine is available. Tests and the examples share it, so both
// pick a server the same way.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/luciapg/luciapg"
)

// LocalURL is the server a developer machine is expected to run: trust
// authentication on the loopback interface.
const LocalURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// containerImage is the PostgreSQL started when only Docker is available.
const containerImage = "postgres:15-alpine"

// Server is a reachable PostgreSQL server.
type Server struct {
	// URL connects to the server's maintenance database as a superuser.
	URL string
	// Source says where the server came from, for messages.
	Source string
	// Stop releases the server when it was started for this process.
	Stop func()
}

// ErrNoServer reports that no server was found by any route.
var ErrNoServer = errors.New("no PostgreSQL server found")

// Find returns explicitURL's server when explicitURL is set (and fails if it
// does not answer: an explicit choice is never silently replaced; the error
// is envName and luciapg's one-line explanation), else the
// local server when it answers, else a testcontainers PostgreSQL when a
// Docker engine answers. envName names the variable explicitURL came from,
// for the error message.
func Find(ctx context.Context, envName, explicitURL string) (*Server, error) {
	if explicitURL != "" {
		if err := ping(ctx, explicitURL); err != nil {
			return nil, fmt.Errorf("%s: %w", envName, err)
		}
		return &Server{URL: explicitURL, Source: envName, Stop: func() {}}, nil
	}
	localErr := ping(ctx, LocalURL)
	if localErr == nil {
		return &Server{URL: LocalURL, Source: "the local server", Stop: func() {}}, nil
	}
	if dockerErr := dockerAnswers(ctx); dockerErr != nil {
		return nil, fmt.Errorf("%w: set %s to a connection string, start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or start a Docker engine (local server: %v; Docker: %v)",
			ErrNoServer, envName, localErr, dockerErr)
	}
	container, err := postgres.Run(ctx, containerImage,
		postgres.WithUsername("postgres"),
		postgres.WithPassword("postgres"),
		postgres.WithDatabase("postgres"),
		postgres.BasicWaitStrategies(),
	)
	if err != nil {
		return nil, fmt.Errorf("starting a PostgreSQL container: %w", err)
	}
	url, err := container.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		_ = testcontainers.TerminateContainer(container)
		return nil, fmt.Errorf("reading the PostgreSQL container's address: %w", err)
	}
	return &Server{
		URL:    url,
		Source: "a testcontainers PostgreSQL",
		Stop:   func() { _ = testcontainers.TerminateContainer(container) },
	}, nil
}

// ping connects to connString and checks that the server answers. Its
// error is luciapg's one-line explanation (luciapg.Connect), the same the
// library and the CLI give.
func ping(ctx context.Context, connString string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	pool, err := luciapg.Connect(ctx, connString)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

func dockerAnswers(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	return provider.Health(ctx) // Health closes the provider
}
