package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckUsername(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"abc", "alice", "alice_2", "a-b", "0123456789", strings.Repeat("z", 31)} {
		if err := CheckUsername(name); err != nil {
			t.Errorf("CheckUsername(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", "ab", strings.Repeat("z", 32), "Alice", " alice", "alice ", "a b", "alice!",
		"ålice", "alice\x00", "al:ce", "ＡＬＩＣＥ", "alice\n"} {
		err := CheckUsername(name)
		if !errors.Is(err, ErrInvalidUsername) {
			t.Errorf("CheckUsername(%q) = %v, want ErrInvalidUsername", name, err)
			continue
		}
		if name != "" && strings.Contains(err.Error(), name) {
			t.Errorf("CheckUsername(%q) repeats the name: %v", name, err)
		}
	}
}

// Logging in as "Alice" finds the account "alice".
func TestNormalizeUsername(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Alice": "alice", "  BOB_2 ": "bob_2", "carol": "carol", "A B": "a b"} {
		if got := NormalizeUsername(in); got != want {
			t.Errorf("NormalizeUsername(%q) = %q, want %q", in, got, want)
		}
	}
}
