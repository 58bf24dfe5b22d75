// Command pgserver runs a command with a PostgreSQL server to talk to: the
// one named by the environment variable -env when it is set, else the
// local server (127.0.0.1:5432, trust authentication), else a throwaway
// testcontainers PostgreSQL when only a Docker engine answers. It sets -env
// to the server's URL for the command, stops the container afterwards, and
// exits with the command's status:
//
//	go run ./internal/pgserver -env TEST_DATABASE_URL -- go test ./...
//
// `make test` and `make demo` use it. It is a module of its own so that
// testcontainers and the Docker client it brings never enter the library's
// module graph: the library's tests take TEST_DATABASE_URL or the local
// server, and fail with what to run when there is neither.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/luciapg/luciapg"
)

// localURL is the server a developer machine is expected to run.
const localURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// containerImage is the PostgreSQL started when only Docker is available.
const containerImage = "postgres:15-alpine"

func main() {
	env := flag.String("env", "TEST_DATABASE_URL", "variable that names the server, read when set and set for the command")
	local := flag.String("local", localURL, "the local server to try when -env is unset")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: pgserver [-env NAME] -- command [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(*env, *local, flag.Args()))
}

func run(env, local string, command []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	server, err := find(ctx, env, os.Getenv(env), local)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	defer server.stop()
	fmt.Fprintf(os.Stderr, "pgserver: %s: %s\n", env, server.source)

	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env+"="+server.url)
	// An interrupt reaches the command through the terminal; pgserver waits
	// for it to end, then removes the container.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	return 0
}

// server is a reachable PostgreSQL server.
type server struct {
	url    string // the maintenance database, as a superuser
	source string // where it came from, for the message
	stop   func()
}

// find returns explicitURL's server when it is set (and fails if it does
// not answer: an explicit choice is never silently replaced), else the
// local server when it answers, else a testcontainers PostgreSQL when a
// Docker engine answers.
func find(ctx context.Context, env, explicitURL, localURL string) (*server, error) {
	if explicitURL != "" {
		if err := ping(ctx, explicitURL); err != nil {
			return nil, fmt.Errorf("%s: %w", env, err)
		}
		return &server{url: explicitURL, source: "as set", stop: func() {}}, nil
	}
	localErr := ping(ctx, localURL)
	if localErr == nil {
		return &server{url: localURL, source: "the local server", stop: func() {}}, nil
	}
	if dockerErr := dockerAnswers(ctx); dockerErr != nil {
		return nil, fmt.Errorf("no PostgreSQL server found: set %s to a connection string, start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or start a Docker engine (local server: %v; Docker: %v)",
			env, localErr, dockerErr)
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
	return &server{
		url:    url,
		source: "a testcontainers PostgreSQL (" + containerImage + ")",
		stop:   func() { _ = testcontainers.TerminateContainer(container) },
	}, nil
}

// ping connects to connString and checks that the server answers. Its
// error is luciapg's one-line explanation (luciapg.Connect), the same the
// library and the CLI give.
func ping(ctx context.Context, connString string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
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
