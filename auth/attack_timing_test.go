package auth

import (
	"testing"

	"golang.org/x/crypto/scrypt"
)

// TestAttackLegacyHashTimingOracle (security review, finding 8): a wrong
// password costs the same scrypt work whether the user has a legacy Lucia
// v1 hash (r=8), a current "s2" hash (r=16) or no account at all (the
// dummy check, an "s2" hash). Before the fix a legacy check did half the
// work (43 ms against 90 ms in the review), which told a guesser which
// accounts exist and have not logged in since the upgrade. Counted, not
// timed: BenchmarkRefusalTiming has the times.
//
// Not parallel: it swaps deriveKey, which parallel tests only use once the
// sequential ones are done.
func TestAttackLegacyHashTimingOracle(t *testing.T) {
	var work int
	deriveKey = func(password, salt []byte, n, r, p, keyLen int) ([]byte, error) {
		work += n * r * p
		return scrypt.Key(password, salt, n, r, p, keyLen)
	}
	defer func() { deriveKey = scrypt.Key }()

	cost := func(hash, password string) int {
		work = 0
		if _, err := verifyPassword(hash, password); err != nil {
			t.Fatalf("verifyPassword: %v", err)
		}
		return work
	}
	reference := cost(scryptDummyHash, "a wrong guess") // an unknown user
	for _, tt := range []struct{ name, hash, password string }{
		{"s2 hash, wrong password", vectorS2Hash, "a wrong guess"},
		{"s2 hash, right password", vectorS2Hash, vectorPassword},
		{"legacy hash, wrong password", vectorLegacyHash, "a wrong guess"},
		{"legacy hash, right password", vectorLegacyHash, vectorPassword},
		{"legacy hash, a password NFKC changes", vectorLegacyHash, "ﬁne"},
	} {
		if got := cost(tt.hash, tt.password); got != reference {
			t.Errorf("%s: scrypt work %d, an unknown user's %d", tt.name, got, reference)
		}
	}
}
