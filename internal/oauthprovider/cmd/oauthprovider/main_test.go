package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/luciapg/luciapg/internal/oauthprovider"
)

// The line run prints names the client and URLs that answer; the server
// stops when the context ends.
func TestRunPrintsWhatToUse(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	r, w := io.Pipe()
	done := make(chan error, 1)
	cfg := oauthprovider.Config{ClientID: "dev-id", ClientSecret: "dev-secret", RedirectBase: "http://127.0.0.1:8080"}
	go func() { done <- run(ctx, "127.0.0.1:0", cfg, w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^oauthprovider: client id dev-id, client secret dev-secret, auth URL (http://127\.0\.0\.1:[0-9]+)/authorize, token URL (\S+)/token, user URL (\S+)/user \(callbacks under http://127\.0\.0\.1:8080\)\n$`).FindStringSubmatch(line)
	if m == nil || m[2] != m[1] || m[3] != m[1] {
		t.Fatalf("line %q does not name the client and one server's URLs", line)
	}
	resp, err := http.Get(m[1] + "/user")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("user endpoint without a token: %d, want 401", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(m[1] + "/user"); err == nil {
		resp.Body.Close()
		t.Errorf("the server still answers after run returned")
	}
}

// A non-loopback address is refused before anything is printed.
func TestRunRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	cfg := oauthprovider.Config{ClientID: "dev-id", ClientSecret: "dev-secret", RedirectBase: "http://127.0.0.1:8080"}
	var out bytes.Buffer
	if err := run(t.Context(), "0.0.0.0:0", cfg, &out); err == nil || out.Len() != 0 {
		t.Errorf("run on 0.0.0.0: %v, printed %q; want a refusal and nothing printed", err, out.String())
	}
}
