// Command webapp is a small web application on luciapg and its auth core:
// sign up with a username, an email address and a password, confirm the
// address by a mailed link, log in and out, reset a forgotten password by
// a mailed link, see where you are signed in (each device in plain words)
// and sign out any other session, see your account's recent activity (the
// audit log), change your email address through a link mailed to the new
// one, get security notices by mail, change your password, with the
// -oauth-* flags sign in with an OAuth 2.0 provider such as GitHub, and
// turn on two-step login (an authenticator app, recovery codes, passkeys),
// with a sudo prompt before sensitive changes.
// Server-rendered HTML (net/http and html/template); the only script is
// the passkey buttons' file. Mail goes to the webapp_outbox table.
//
// Run it with `make webapp`, or
//
//	DATABASE_URL=postgres://... go run ./examples/webapp -addr 127.0.0.1:8080 -insecure-dev-cookies
//
// Without -insecure-dev-cookies (development over plain HTTP only) session
// cookies are Secure, as behind a TLS proxy. Ctrl-C (SIGINT) or SIGTERM
// stops it gracefully, with exit status 0. (go run itself exits 1 after
// Ctrl-C whatever the program returned, golang/go#40467, so `make webapp`
// builds the program and runs it.)
//
// Without DATABASE_URL it uses the local server's postgres database
// (postgres://postgres@127.0.0.1:5432/postgres) and logs that it does.
// It migrates the database on start: luciapg's Lucia v1 tables, then its
// own migrations adding username and email columns to auth_user and the
// outbox table (recorded in webapp_schema_migrations, apart from luciapg's
// and an application's).
//
// $TOTP_SECRET_KEYS (id:key, the key from openssl rand -base64 32) seals
// authenticator-app secrets; without it authenticator apps are off.
// Passkeys work on -origin's host, or at http://localhost:PORT when the
// app is served on a loopback address: browsers refuse an IP address.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/luciapg/luciapg/auth"
)

func main() {
	addr, cfg, err := parseFlags(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		// The flag package has printed the error and the usage.
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serve(addr, cfg, log); err != nil {
		log.Error("webapp stopped", "err", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line: the address to listen on and how to
// serve. getenv reads $OAUTH_CLIENT_SECRET, $OAUTH_STATE_KEY and
// $TOTP_SECRET_KEYS.
func parseFlags(args []string, getenv func(string) string) (string, appConfig, error) {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	origin := fs.String("origin", "", "public origin when behind a proxy, such as https://example.com (form posts must come from it)")
	insecureDevCookies := fs.Bool("insecure-dev-cookies", false, "development over plain HTTP only: session cookies without Secure, http:// form posts accepted")
	clientAddressHeader := fs.String("client-address-header", "", "header a trusted reverse proxy sets to the client's address, such as X-Forwarded-For (default: the direct peer)")
	var o oauthConfig
	fs.StringVar(&o.ProviderID, "oauth-provider", "github", `"Sign in with ...": the provider id, the first part of its keys ("github:583231"); "github" without the URL flags means GitHub`)
	fs.StringVar(&o.Name, "oauth-provider-name", "", "the provider's name on the sign-in button (default: the provider id)")
	fs.StringVar(&o.ClientID, "oauth-client-id", "", `the OAuth client id; set, it turns "Sign in with ..." on (register the redirect URL <origin>/login/callback)`)
	fs.StringVar(&o.ClientSecret, "oauth-client-secret", "", "the OAuth client secret (default: $OAUTH_CLIENT_SECRET, which ps does not show)")
	fs.StringVar(&o.AuthURL, "oauth-auth-url", "", "the provider's authorization endpoint")
	fs.StringVar(&o.TokenURL, "oauth-token-url", "", "the provider's token endpoint")
	fs.StringVar(&o.UserURL, "oauth-user-url", "", "the provider's user endpoint, answering JSON with the user's id")
	fs.StringVar(&o.UserIDField, "oauth-user-id-field", "id", "the field of the user endpoint's JSON holding the user's id")
	if err := fs.Parse(args); err != nil {
		return "", appConfig{}, err
	}
	o.ClientSecret = cmp.Or(o.ClientSecret, getenv("OAUTH_CLIENT_SECRET"))
	o.StateKey = getenv("OAUTH_STATE_KEY")
	totpKeys := getenv("TOTP_SECRET_KEYS")
	if o.Name == "" && o.ProviderID == "github" {
		o.Name = "GitHub"
	}
	return *addr, appConfig{origin: *origin, insecureDevCookies: *insecureDevCookies, clientAddressHeader: *clientAddressHeader, oauth: o, totpSecretKeys: totpKeys}, nil
}

// shutdownGrace is how long a stop waits for requests in progress.
const shutdownGrace = 10 * time.Second

// serve runs the app on addr until SIGINT (Ctrl-C) or SIGTERM, then shuts
// down gracefully: no new connections, requests in progress finish (for
// up to shutdownGrace), mail being sent is sent, and it returns nil, so
// the process exits 0. A second signal during the shutdown kills the
// process at once.
func serve(addr string, cfg appConfig, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pool, err := openDatabase(ctx, os.Getenv("DATABASE_URL"), log)
	if ctx.Err() != nil {
		// Stopped while connecting or migrating (each migration is a
		// transaction of its own): nothing was served, nothing is wrong.
		if pool != nil {
			pool.Close()
		}
		log.Info("webapp stopped before it started")
		return nil
	}
	if err != nil {
		return err
	}
	defer pool.Close()

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if cfg.publicURL = cfg.origin; cfg.publicURL == "" {
		// Links in mail, and the OAuth callback, lead to the address
		// served on: http only with -insecure-dev-cookies, https behind a
		// TLS proxy otherwise.
		scheme := "https://"
		if cfg.insecureDevCookies {
			scheme = "http://"
		}
		cfg.publicURL = scheme + listener.Addr().String()
	}
	a, err := newApp(pool, auth.Config{}, log, cfg)
	if err != nil {
		_ = listener.Close()
		return err
	}
	server := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	shutdown := make(chan error, 1)
	go func() {
		<-ctx.Done()
		stop() // from here on a signal has its default effect
		log.Info("shutting down: finishing requests in progress (Ctrl-C again to stop at once)")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		shutdown <- server.Shutdown(shutdownCtx)
	}()
	log.Info("webapp listening", "url", "http://"+listener.Addr().String())
	// Serve returns as soon as Shutdown starts; Shutdown returns once the
	// requests in progress are done.
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-shutdown; err != nil {
		_ = server.Close()
		return fmt.Errorf("requests still running after %s were cut off: %w", shutdownGrace, err)
	}
	// Mail still being sent, and the sessions' last uses.
	drainCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := a.drain(drainCtx); err != nil {
		log.Error("finishing the work after the last answers failed", "err", err)
	}
	log.Info("webapp stopped")
	return nil
}
