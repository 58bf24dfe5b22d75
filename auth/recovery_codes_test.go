package auth_test

import (
	"regexp"
	"testing"

	"github.com/luciapg/luciapg"
)

// TestRecoveryCodesFormat: ten distinct codes of 80 bits, as
// xxxx-xxxx-xxxx-xxxx in lowercase base32, of which the storage holds only
// hashes.
func TestRecoveryCodesFormat(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, _ := newMFAAuth(adapter)
		user := signUp(t, a, "ada", "pw")
		session := passwordLogin(t, ctx, a, "ada", "pw")
		codes, err := a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)
		format := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
		seen := map[string]bool{}
		for _, code := range codes {
			if !format.MatchString(code) || seen[code] {
				t.Errorf("code %q is malformed or repeated", code)
			}
			seen[code] = true
		}
		if len(codes) != 10 {
			t.Fatalf("%d codes, want 10", len(codes))
		}
		factors, err := factorAdapter(t, adapter).GetUserFactors(ctx, user.ID)
		wantNoErr(t, "GetUserFactors", err)
		if factors.RecoveryCodes != 10 || factors.HasSecondFactor() {
			t.Errorf("after generating: %+v (recovery codes alone are no second factor)", factors)
		}
	})
}
