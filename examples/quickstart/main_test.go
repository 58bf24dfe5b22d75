package main

import (
	"context"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/internal/testdb"
)

func TestQuickstartOnAFreshDatabase(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run(context.Background(), &out, testdb.NewEmptyURL(t)); err != nil {
		t.Fatalf("quickstart: %v\noutput so far:\n%s", err, out.String())
	}
	for _, step := range []string{
		"1. Migrated", "2. Created user", "the password matches it: true", "3. Opened a session", "4. Read the session back",
		"5. A second user with the key", "AUTH_DUPLICATE_KEY_ID",
		"6. Deleted the user", "AUTH_INVALID_SESSION_ID",
	} {
		if !strings.Contains(out.String(), step) {
			t.Errorf("output lacks %q:\n%s", step, out.String())
		}
	}
}
