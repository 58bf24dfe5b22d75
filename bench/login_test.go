package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/bench/internal/machine"
)

// TestSummarizeLoginRatiosArePerRound proves a kind's ratio divides its p50
// by the password-only p50 of the same round, and summarizes as the median
// of those, not as a ratio of medians.
func TestSummarizeLoginRatiosArePerRound(t *testing.T) {
	t.Parallel()
	runs := []loginRun{
		{Round: 1, Kind: loginPasswordOnly, P50Millis: 50},
		{Round: 1, Kind: loginTwoStep, P50Millis: 100},
		{Round: 2, Kind: loginPasswordOnly, P50Millis: 100},
		{Round: 2, Kind: loginTwoStep, P50Millis: 50},
		{Round: 3, Kind: loginPasswordOnly, P50Millis: 10},
		{Round: 3, Kind: loginTwoStep, P50Millis: 11},
	}
	got := summarizeLogin(runs)
	if len(got) != 2 {
		t.Fatalf("summaries %+v, want password-only and two-step only (no second-step runs)", got)
	}
	two := got[1]
	if want := []float64{2, 0.5, 1.1}; !slices.Equal(two.RoundRatios, want) || two.Ratio != 1.1 || two.P50Millis != 50 {
		t.Errorf("two-step summary %+v, want per-round ratios %v, median 1.1, median p50 50", two, want)
	}
}

// TestLoginPartSmoke runs the login part for one short round against the
// test server, so that it cannot rot: every kind gets a row, each from
// logins that completed.
func TestLoginPartSmoke(t *testing.T) {
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		t.Fatal("TEST_DATABASE_URL is not set: make test sets it (the login part needs PostgreSQL)")
	}
	dir := t.TempDir()
	cfg := config{DatabaseURL: url, Rounds: 1, Duration: 300 * time.Millisecond, Out: dir}
	if err := runLoginWith(t.Context(), cfg, machine.Machine{}, 2); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "login.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{loginPasswordOnly, loginTwoStep, loginSecondStep} {
		if !strings.Contains(string(md), "| "+kind+" |") {
			t.Errorf("login.md has no row for %q:\n%s", kind, md)
		}
	}
}
