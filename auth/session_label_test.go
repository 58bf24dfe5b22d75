package auth_test

import (
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth"
)

// The label is fixed (the web app and the CLI must agree), short, and
// never contains the id.
func TestSessionLabel(t *testing.T) {
	t.Parallel()
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	// The first 3 bytes of SHA-256("a" × 40).
	got := auth.SessionLabel(id)
	if len(got) != 6 || strings.Contains(id, got) {
		t.Fatalf("SessionLabel = %q, want 6 hex characters not taken from the id", got)
	}
	if auth.SessionLabel(id) != got || auth.SessionLabel(id+"b") == got {
		t.Fatalf("SessionLabel is not a function of the id alone")
	}
}
