package main

import (
	"slices"
	"testing"

	"github.com/luciapg/luciapg/bench/internal/stats"
)

// TestSummarizeLoadSpreadsRounds proves the load summary's ratio is the
// spread of each round's own Store ÷ raw ratio, not a ratio of medians,
// and that every number carries its spread over the rounds.
func TestSummarizeLoadSpreadsRounds(t *testing.T) {
	t.Parallel()
	var runs []loadRun
	for i, pair := range [][2]float64{{90, 100}, {300, 200}, {100, 125}, {110, 100}, {95, 100}} {
		runs = append(runs,
			loadRun{Operation: "GetSession", Variant: storeVariant, Round: i + 1, OpsPerSec: pair[0], P50Micros: pair[0] / 10},
			loadRun{Operation: "GetSession", Variant: rawVariant, Round: i + 1, OpsPerSec: pair[1], P50Micros: pair[1] / 10},
		)
	}
	got := summarize([]string{"GetSession"}, runs)
	if len(got) != 1 {
		t.Fatalf("got %d summaries, want 1", len(got))
	}
	s := got[0]
	if want := []float64{0.9, 1.5, 0.8, 1.1, 0.95}; !slices.Equal(s.RoundRatios, want) {
		t.Errorf("round ratios %v, want %v", s.RoundRatios, want)
	}
	if want := (stats.Spread{Median: 0.95, Q1: 0.9, Q3: 1.1, Min: 0.8, Max: 1.5, Rounds: 5}); s.Ratio != want {
		t.Errorf("ratio %+v, want %+v", s.Ratio, want)
	}
	if want := (stats.Spread{Median: 100, Q1: 95, Q3: 110, Min: 90, Max: 300, Rounds: 5}); s.StoreOpsPerSec != want {
		t.Errorf("Store ops/s %+v, want %+v", s.StoreOpsPerSec, want)
	}
	if s.RawP50Micros.Median != 10 || s.RawP50Micros.Max != 20 || s.Met() != (0.95 >= s.Target) {
		t.Errorf("raw p50 %+v, target %v met %v", s.RawP50Micros, s.Target, s.Met())
	}
}
