// Command webapp is a small web application on luciapg and its auth core:
// sign up with a username and password, log in and out, see your sessions,
// sign out of all devices, change your password. Server-rendered HTML
// (net/http and html/template), no JavaScript.
//
// Run it with `make webapp`, or
//
//	DATABASE_URL=postgres://... go run ./examples/webapp -addr 127.0.0.1:8080 -insecure-dev-cookies
//
// Without -insecure-dev-cookies (development over plain HTTP only) session
// cookies are Secure, as behind a TLS proxy.
//
// It migrates the database on start: luciapg's Lucia v1 tables, then its
// own migration adding a username column to auth_user (recorded in
// webapp_schema_migrations, apart from luciapg's and an application's).
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	origin := flag.String("origin", "", "public origin when behind a proxy, such as https://example.com (form posts must come from it)")
	insecureDevCookies := flag.Bool("insecure-dev-cookies", false, "development over plain HTTP only: session cookies without Secure, http:// form posts accepted")
	clientAddressHeader := flag.String("client-address-header", "", "header a trusted reverse proxy sets to the client's address, such as X-Forwarded-For (default: the direct peer)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serve(*addr, appConfig{origin: *origin, insecureDevCookies: *insecureDevCookies, clientAddressHeader: *clientAddressHeader}, log); err != nil {
		log.Error("webapp stopped", "err", err)
		os.Exit(1)
	}
}

func serve(addr string, cfg appConfig, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pool, err := openDatabase(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	a, err := newApp(auth.New(luciapg.New(pool), auth.Config{}), pool, log, cfg)
	if err != nil {
		return err
	}
	if a.linkBase == "" {
		// Links in mail lead to the address served on: http only with
		// -insecure-dev-cookies, https behind a TLS proxy otherwise.
		scheme := "https://"
		if cfg.insecureDevCookies {
			scheme = "http://"
		}
		a.linkBase = scheme + listener.Addr().String()
	}
	server := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}()
	log.Info("webapp listening", "url", "http://"+listener.Addr().String())
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
