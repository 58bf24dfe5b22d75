package authhttp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/memadapter"
)

// A trusted origin that is not scheme://host[:port] is a configuration
// mistake: New refuses it, naming it, rather than dropping it and leaving
// the front end it was meant for unable to post.
func TestNewRefusesInvalidTrustedOrigins(t *testing.T) {
	t.Parallel()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, origin := range []string{
		"not an origin",
		"",
		"null",
		"app.example.com",
		"https://",
		"https://app.example.com/path",
		"https://app.example.com?q=1",
		"https://app.example.com#top",
		"https://user@app.example.com",
		"ftp://app.example.com",
		"https://app.example.com:notaport",
	} {
		s, err := authhttp.New(a, authhttp.Config{TrustedOrigins: []string{"https://ok.example", origin}})
		if !errors.Is(err, luciapg.ErrInvalidConfig) || s != nil {
			t.Errorf("New with trusted origin %q = %v, %v; want nil and an error", origin, s, err)
			continue
		}
		if !strings.Contains(err.Error(), "trusted origin") || strings.Contains(err.Error(), "\n") {
			t.Errorf("New with trusted origin %q: error %q, want one line about the trusted origin", origin, err)
		}
	}
}
