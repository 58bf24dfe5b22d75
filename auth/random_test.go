package auth

import (
	"strings"
	"testing"
)

func TestRandomStringLengthAndAlphabet(t *testing.T) {
	t.Parallel()
	for _, length := range []int{0, 1, 15, 16, 40, 1000} {
		s, err := randomString(length)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != length {
			t.Fatalf("randomString(%d) has length %d", length, len(s))
		}
		for _, c := range s {
			if !strings.ContainsRune(idAlphabet, c) {
				t.Fatalf("randomString(%d) contains %q, outside a-z A-Z 0-9", length, c)
			}
		}
	}
}

// With rejection sampling every character is equally likely. Over 62,000
// draws each of the 62 characters is expected 1,000 times; a modulo bias
// (bytes 248..255 folded onto the first 8 characters) would give those 8
// about 1,032 and the rest 996. The bounds below are far outside what
// chance produces (over 9 standard deviations), so the test does not flake,
// and it checks that every character occurs.
func TestRandomStringUniform(t *testing.T) {
	t.Parallel()
	const perCharacter = 1000
	s, err := randomString(perCharacter * len(idAlphabet))
	if err != nil {
		t.Fatal(err)
	}
	counts := make(map[rune]int)
	for _, c := range s {
		counts[c]++
	}
	for _, c := range idAlphabet {
		if n := counts[c]; n < 700 || n > 1300 {
			t.Errorf("character %q drawn %d times in %d, want about %d", c, n, len(s), perCharacter)
		}
	}
}
