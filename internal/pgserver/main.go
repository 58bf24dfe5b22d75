// Command pgserver runs a command with a PostgreSQL server to talk to: the
// one named by the environment variable -env when it is set, else the
// local server (127.0.0.1:5432, trust authentication; PGSERVER_LOCAL names
// another), else a throwaway testcontainers PostgreSQL when a Docker engine
// answers, else a private PostgreSQL of its own (embedded.go: binaries
// downloaded once into the user's cache directory, or named by
// LUCIAPG_PG_BINARIES). It sets -env to the server's URL for the command,
// stops the container or the private server afterwards, and exits with
// the command's status:
//
//	go run ./internal/pgserver -env TEST_DATABASE_URL -- go test ./...
//
// `make test`, `make demo` and `make webapp` use it. It is a module of its
// own so that testcontainers, the Docker client and embedded-postgres (and
// the lib/pq it brings) never enter the library's module graph: the
// library's tests take TEST_DATABASE_URL or the local server, and fail
// with what to run when there is neither.
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
	"golang.org/x/sys/unix"

	"github.com/luciapg/luciapg"
)

// localURL is the server a developer machine is expected to run.
const localURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// containerImage is the PostgreSQL started when only Docker is available.
const containerImage = "postgres:15-alpine"

// localEnv, when set, replaces localURL as -local's default: CI points it
// at a port where nothing listens to see the fallbacks at work.
const localEnv = "PGSERVER_LOCAL"

func main() {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(serveEmbedded(spec))
	}
	defaultLocal := localURL
	if v := os.Getenv(localEnv); v != "" {
		defaultLocal = v
	}
	env := flag.String("env", "TEST_DATABASE_URL", "variable that names the server, read when set and set for the command")
	local := flag.String("local", defaultLocal, "the local server to try when -env is unset (default from $"+localEnv+" when set)")
	docker := flag.Bool("docker", true, "try a Docker engine when no server answers, before the embedded PostgreSQL")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: pgserver [-env NAME] -- command [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(options{env: *env, local: *local, docker: *docker}, flag.Args()))
}

// options are pgserver's flags.
type options struct {
	env    string // the variable naming the server
	local  string // the local server's URL
	docker bool   // whether to try a Docker engine
}

func run(opts options, command []string) int {
	// A signal while the server is being found or started cancels that;
	// once the command runs, it is passed on to the command (forward).
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, stopCtx := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	server, err := find(ctx, opts, os.Getenv(opts.env))
	stopCtx()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	defer server.stop()
	fmt.Fprintf(os.Stderr, "pgserver: %s: %s\n", opts.env, server.source)

	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), opts.env+"="+server.url)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	done := make(chan struct{})
	defer close(done)
	go forward(sigs, done, cmd.Process)
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			// A command a signal ended exits as a shell reports it.
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	return 0
}

// forward passes the signals pgserver receives on to the command until
// done, so that `kill <pgserver>` ends the command, then the server. A
// Ctrl-C is the exception: the terminal sends it to its whole foreground
// process group, the command included, and a second SIGINT would cut
// short a program that shuts down cleanly on the first.
func forward(sigs <-chan os.Signal, done <-chan struct{}, p *os.Process) {
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			if sig == os.Interrupt && inForeground() {
				continue
			}
			_ = p.Signal(sig)
		}
	}
}

// inForeground reports whether pgserver is in its terminal's foreground
// process group, where a Ctrl-C reaches every process.
func inForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == syscall.Getpgrp()
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
// Docker engine answers, else the embedded PostgreSQL.
func find(ctx context.Context, opts options, explicitURL string) (*server, error) {
	if explicitURL != "" {
		if err := ping(ctx, explicitURL); err != nil {
			return nil, fmt.Errorf("%s: %w", opts.env, err)
		}
		return &server{url: explicitURL, source: "as set", stop: func() {}}, nil
	}
	localErr := ping(ctx, opts.local)
	if localErr == nil {
		return &server{url: opts.local, source: "the local server", stop: func() {}}, nil
	}
	dockerErr := errors.New("not tried (-docker=false)")
	if opts.docker {
		dockerErr = dockerAnswers(ctx)
	}
	if dockerErr != nil {
		why := fmt.Sprintf("no %s, no server at %s, no Docker engine", opts.env, hostOf(opts.local))
		a, err := serverAccount(serverUsers)
		if err != nil {
			return nil, fmt.Errorf("%s; %w; or set %s to a connection string", why, err, opts.env)
		}
		base, err := embeddedBase(a)
		if err != nil {
			return nil, fmt.Errorf("%s; preparing the embedded PostgreSQL's directory: %w", why, err)
		}
		s, err := startEmbedded(ctx, why, base, a, mavenURL)
		if err != nil {
			return nil, fmt.Errorf("%w\n(local server: %v; Docker: %v; set %s to a connection string to use a server of your own)",
				err, localErr, dockerErr, opts.env)
		}
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
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
