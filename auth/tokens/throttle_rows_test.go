package tokens_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The throttle's rows name users and guesses, never a live code: after a
// right code, the per-user row is gone, and no row holds the code (the auth
// core's per-key row, which names it while it is checked, is deleted by
// the success).
func TestPasswordTokensThrottleRowsHoldNoCode(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	e := newEnv(t, luciapg.New(pool))
	codes := e.passwordTokens(t, "email-code")
	issued, err := codes.Issue(t.Context(), e.userID)
	wantNoErr(t, "Issue", err)
	for i := range 3 {
		_, _ = codes.Validate(t.Context(), e.userID, wrongCode(i, issued.Value))
	}

	rows := func() []string {
		t.Helper()
		r, err := pool.Query(t.Context(), `SELECT throttle_key FROM luciapg_attempt_throttle`)
		wantNoErr(t, "reading throttle rows", err)
		var keys []string
		for r.Next() {
			var k string
			wantNoErr(t, "scanning a throttle row", r.Scan(&k))
			keys = append(keys, k)
		}
		wantNoErr(t, "reading throttle rows", r.Err())
		return keys
	}
	userRow := "tokens:email-code:" + e.userID
	if !slices.Contains(rows(), userRow) {
		t.Fatalf("after 3 wrong codes there is no per-user throttle row %q", userRow)
	}

	_, err = codes.Validate(t.Context(), e.userID, issued.Value)
	wantNoErr(t, "Validate of the right code", err)
	after := rows()
	if slices.Contains(after, userRow) {
		t.Error("the per-user throttle row outlived a right code")
	}
	for _, k := range after {
		if strings.Contains(k, issued.Value) {
			t.Error("a throttle row holds the issued code")
		}
	}
}
