// Command oauthprovider runs the test OAuth 2.0 provider of package
// oauthprovider on a loopback address, for trying an application's "Sign in
// with ..." by hand:
//
//	go run ./internal/oauthprovider/cmd/oauthprovider -addr 127.0.0.1:9096 -redirect http://127.0.0.1:8080
//
// It prints one line with the client id and secret and the endpoint URLs
// to give the application, then serves until interrupted. Signing in means
// typing any user id on its login page: it is for development only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/luciapg/luciapg/internal/oauthprovider"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9096", "loopback address to listen on")
	redirect := flag.String("redirect", "http://127.0.0.1:8080", "the application's origin: callbacks must be under it")
	clientID := flag.String("client-id", "luciapg-dev", "the client id the application uses")
	clientSecret := flag.String("client-secret", "luciapg-dev-secret", "the client secret the application uses (a development value, printed)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := oauthprovider.Config{ClientID: *clientID, ClientSecret: *clientSecret, RedirectBase: *redirect}
	if err := run(ctx, *addr, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run serves the provider on addr until ctx is done, after writing the
// line that says what to give the application to out.
func run(ctx context.Context, addr string, cfg oauthprovider.Config, out io.Writer) error {
	p, err := oauthprovider.New(cfg)
	if err != nil {
		return err
	}
	if err := p.Start(addr); err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(out, "oauthprovider: client id %s, client secret %s, auth URL %s, token URL %s, user URL %s (callbacks under %s)\n",
		cfg.ClientID, cfg.ClientSecret, p.AuthURL(), p.TokenURL(), p.UserURL(), cfg.RedirectBase)
	<-ctx.Done()
	return nil
}
