package tokens

import (
	"strings"
	"testing"
)

// Every character of an alphabet is drawn, and about as often as any other.
// (A coarse check: the rejection sampling that removes modulo bias is read,
// not measured; this catches a broken alphabet or a stuck generator.)
func TestRandomStringIsUniform(t *testing.T) {
	t.Parallel()
	for _, alphabet := range []string{codeAlphabet, idTokenAlphabet} {
		const perChar = 10000
		s, err := randomString(perChar*len(alphabet), alphabet)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range alphabet {
			// 5% is 5 standard deviations (1% at 10,000 expected draws):
			// a fair generator does not fail it.
			if n := strings.Count(s, string(c)); n < perChar*95/100 || n > perChar*105/100 {
				t.Errorf("%q drawn %d times in %d, want about %d", c, n, len(s), perChar)
			}
		}
		if strings.Trim(s, alphabet) != "" {
			t.Errorf("a character outside the alphabet %q", alphabet)
		}
	}
}
