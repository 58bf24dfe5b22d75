package passkey_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/passkey"
	"github.com/luciapg/luciapg/memadapter"
)

// New refuses a configuration a browser would refuse, naming the field,
// and never replaces a bad value with a default.
func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	good := func() passkey.Config {
		return passkey.Config{RPID: "example.com", RPDisplayName: "Example", RPOrigins: []string{"https://example.com", "https://login.example.com:8443"}}
	}
	if _, err := passkey.New(a, good()); err != nil {
		t.Fatalf("New with a good config: %v", err)
	}
	dev := passkey.Config{RPID: "localhost", RPDisplayName: "Dev", RPOrigins: []string{"http://localhost:8080"}}
	if _, err := passkey.New(a, dev); err != nil {
		t.Fatalf("New for development on http://localhost: %v", err)
	}

	for _, tc := range []struct {
		field  string
		change func(*passkey.Config)
	}{
		{"RPID", func(c *passkey.Config) { c.RPID = "" }},
		{"RPID", func(c *passkey.Config) { c.RPID = "127.0.0.1" }},
		{"RPID", func(c *passkey.Config) { c.RPID = "https://example.com" }},
		{"RPDisplayName", func(c *passkey.Config) { c.RPDisplayName = " " }},
		{"RPOrigins", func(c *passkey.Config) { c.RPOrigins = nil }},
		{"RPOrigins[0]", func(c *passkey.Config) { c.RPOrigins = []string{"http://example.com"} }},
		{"RPOrigins[0]", func(c *passkey.Config) { c.RPOrigins = []string{"https://example.org"} }},
		{"RPOrigins[0]", func(c *passkey.Config) { c.RPOrigins = []string{"https://notexample.com"} }},
		{"RPOrigins[1]", func(c *passkey.Config) { c.RPOrigins = []string{"https://example.com", "https://example.com/login"} }},
		{"RPOrigins[0]", func(c *passkey.Config) { c.RPOrigins = []string{"example.com"} }},
		{"Timeout", func(c *passkey.Config) { c.Timeout = -time.Second }},
	} {
		cfg := good()
		tc.change(&cfg)
		_, err := passkey.New(a, cfg)
		if !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tc.field, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %q does not name the field on one line", tc.field, err)
		}
	}

	if _, err := passkey.New(nil, good()); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("New(nil): %v, want ErrInvalidConfig", err)
	}
}

// An Auth whose adapter stores no second factors has no passkeys.
func TestNewWithoutFactorAdapter(t *testing.T) {
	t.Parallel()
	a, err := auth.New(noFactors{memadapter.New()}, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = passkey.New(a, passkey.Config{RPID: "example.com", RPDisplayName: "Example", RPOrigins: []string{"https://example.com"}})
	if !errors.Is(err, auth.ErrSecondFactorsUnavailable) {
		t.Fatalf("New: %v, want ErrSecondFactorsUnavailable", err)
	}
}

// noFactors hides its adapter's luciapg.FactorAdapter methods, as an
// adapter written before second factors has none.
type noFactors struct{ luciapg.ThrottlingAdapter }
