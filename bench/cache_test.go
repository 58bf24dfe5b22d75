package main

import (
	"slices"
	"strings"
	"testing"
)

// TestSummarizeValidateRatiosArePerRound proves each peer's "× raw" is
// the median of its rounds' ratios to the raw run of the same round, not a
// ratio of medians, and that a peer that did not run is marked so.
func TestSummarizeValidateRatiosArePerRound(t *testing.T) {
	t.Parallel()
	runs := []validateRun{
		{Peer: peerRaw, Round: 1, OpsPerSec: 100}, {Peer: peerCache, Round: 1, OpsPerSec: 5000},
		{Peer: peerRaw, Round: 2, OpsPerSec: 200}, {Peer: peerCache, Round: 2, OpsPerSec: 6000},
		{Peer: peerRaw, Round: 3, OpsPerSec: 50}, {Peer: peerCache, Round: 3, OpsPerSec: 1000},
	}
	byPeer := map[string]validateSummary{}
	for _, s := range summarizeValidate(runs) {
		byPeer[s.Peer] = s
	}
	cache := byPeer[peerCache]
	if want := []float64{50, 30, 20}; !slices.Equal(cache.RoundVsRaw, want) || cache.VsRaw.Median != 30 || cache.VsRaw.Min != 20 || cache.VsRaw.Max != 50 || cache.OpsPerSec.Median != 5000 {
		t.Errorf("cache summary = %+v, want per-round ratios %v, median 30, median ops 5000", cache, want)
	}
	if byPeer[peerLucia].Unavailable == "" {
		t.Errorf("Lucia v1 did not run but its summary does not say so: %+v", byPeer[peerLucia])
	}
}

// TestSummarizeTriggersPairsRounds proves the with ÷ without ratio pairs
// runs of the same round and that the purge has its own target.
func TestSummarizeTriggersPairsRounds(t *testing.T) {
	t.Parallel()
	runs := []triggerRun{
		{Operation: "SetSession", Triggers: true, Round: 1, OpsPerSec: 90},
		{Operation: "SetSession", Triggers: false, Round: 1, OpsPerSec: 100},
		{Operation: "SetSession", Triggers: false, Round: 2, OpsPerSec: 400},
		{Operation: "SetSession", Triggers: true, Round: 2, OpsPerSec: 200},
		{Operation: purgeOperation, Triggers: true, Round: 1, OpsPerSec: 8},
		{Operation: purgeOperation, Triggers: false, Round: 1, OpsPerSec: 10},
	}
	got := summarizeTriggers(runs)
	if len(got) != 2 {
		t.Fatalf("got %d summaries, want SetSession and the purge: %+v", len(got), got)
	}
	if s := got[0]; s.Operation != "SetSession" || !slices.Equal(s.RoundRatios, []float64{0.9, 0.5}) || s.Target != 0.9 {
		t.Errorf("SetSession summary = %+v, want ratios [0.9 0.5], target 0.9", s)
	}
	if s := got[1]; s.Operation != purgeOperation || s.Ratio.Median != 0.8 || s.Target != 0.8 {
		t.Errorf("purge summary = %+v, want ratio 0.8, target 0.8", s)
	}
}

// TestSummarizeRevocationSpreadsRounds proves the revocation summary
// gives the spread of the rounds' latencies and sums their counts, so that
// one round's session served past the bound is not hidden by a median.
func TestSummarizeRevocationSpreadsRounds(t *testing.T) {
	t.Parallel()
	rounds := []revocationResult{
		{Round: 1, Sessions: 1000, P50Micros: 8000, P99Micros: 20000, MaxMicros: 30000, Validations: 100, PollsPerSecond: 90},
		{Round: 2, Sessions: 1000, P50Micros: 6000, P99Micros: 60000, MaxMicros: 70000, Validations: 200, PollsPerSecond: 80, SuccessesAfterRefusal: 2, ServedPastBound: 1, RefusedBeforeAck: 2},
		{Round: 3, Sessions: 1000, P50Micros: 7000, P99Micros: 30000, MaxMicros: 40000, Validations: 300, PollsPerSecond: 100},
	}
	s := summarizeRevocation(rounds)
	if s.Sessions != 1000 || s.Validations != 600 || s.SuccessesAfterRefusal != 2 || s.ServedPastBound != 1 || s.RefusedBeforeAck != 2 || len(s.Rounds) != 3 {
		t.Errorf("summary counts %+v, want 1000 sessions a round, 600 validations, 2 successes after a refusal, 1 past the bound, 2 refused before the ack, 3 rounds", s)
	}
	if s.P99Micros.Median != 30000 || s.P99Micros.Min != 20000 || s.P99Micros.Max != 60000 || s.P50Micros.Median != 7000 {
		t.Errorf("p99 %+v, p50 %+v: want the p99 median 30000 (20000–60000), p50 median 7000", s.P99Micros, s.P50Micros)
	}
	if s.Met() {
		t.Error("a round served a deleted session past the bound, yet the target is met")
	}
	rounds[1].ServedPastBound = 0
	if !summarizeRevocation(rounds).Met() {
		t.Error("median p99 30 ms and nothing served past the bound (successes after a refusal within it), yet the target is not met")
	}
}

// TestExplainPlansReadsTheCosts proves the plans' paragraph takes each
// plan's top total cost and tells a stale-statistics Sort from one a fresh
// ANALYZE keeps.
func TestExplainPlansReadsTheCosts(t *testing.T) {
	t.Parallel()
	bitmap := "Sort  (cost=12.24..12.25 rows=2 width=73) / Sort Key: id / ->  Bitmap Heap Scan on auth_session  (cost=4.43..12.23 rows=2 width=73)"
	index := "Index Scan using auth_session_user_id_idx on auth_session  (cost=0.42..12.45 rows=2 width=73)"
	if got := totalCost(bitmap); got != "12.25" {
		t.Errorf("totalCost(bitmap plan) = %q, want 12.25", got)
	}
	stale := explainPlans([]byUserPlan{{Plan: bitmap, Correlation: 0.04}, {Plan: index}, {Plan: index, Correlation: 0.5}})
	for _, want := range []string{"estimated at 12.45 against the bitmap plan's 12.25", "at correlation 0.04", "picks the index scan itself"} {
		if !strings.Contains(stale, want) {
			t.Errorf("paragraph for stale statistics lacks %q:\n%s", want, stale)
		}
	}
	kept := explainPlans([]byUserPlan{{Plan: bitmap}, {Plan: index}, {Plan: bitmap, Correlation: 0.01}})
	if !strings.Contains(kept, "A fresh ANALYZE (correlation 0.01) keeps the bitmap plan") {
		t.Errorf("paragraph for a kept bitmap plan:\n%s", kept)
	}
	if got := explainPlans([]byUserPlan{{Plan: index}, {Plan: index}, {Plan: index}}); strings.Contains(got, "Sort comes") {
		t.Errorf("paragraph for a plan with no Sort blames one: %s", got)
	}
}
