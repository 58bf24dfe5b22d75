package main

import "testing"

// TestRoundsPerPart proves load and cache take nine rounds by default,
// the other parts three, and that -rounds overrides every part.
func TestRoundsPerPart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		part string
		want int
	}{
		{nil, "load", 9},
		{nil, "cache", 9},
		{nil, "scale", 3},
		{nil, "purge", 3},
		{nil, "pgbouncer", 3},
		{nil, "login", 3},
		{[]string{"-rounds", "2"}, "load", 2},
		{[]string{"-rounds", "5"}, "cache", 5},
		{[]string{"-rounds", "1"}, "scale", 1},
	} {
		cfg, err := parseFlags(c.args)
		if err != nil {
			t.Fatalf("parseFlags(%v): %v", c.args, err)
		}
		if got := cfg.roundsFor(c.part); got != c.want {
			t.Errorf("with %v the %s part runs %d rounds, want %d", c.args, c.part, got, c.want)
		}
	}
	if _, err := parseFlags([]string{"-rounds", "-1"}); err == nil {
		t.Error("-rounds -1 was accepted")
	}
}
