package main

import (
	"slices"
	"testing"
)

// TestSummarizePgBouncerRatiosArePerRound proves each route's ratios to
// direct exec and to direct default divide runs of the same operation in
// the same round, and summarize as the median of those, not a ratio of
// medians; and that a route that did not run has no row.
func TestSummarizePgBouncerRatiosArePerRound(t *testing.T) {
	t.Parallel()
	runs := []pgbouncerRun{
		{Route: routeDirectDefault, Operation: "GetSessionAndUser", Round: 1, OpsPerSec: 400},
		{Route: routeDirectExec, Operation: "GetSessionAndUser", Round: 1, OpsPerSec: 100},
		{Route: routeBouncerExec, Operation: "GetSessionAndUser", Round: 1, OpsPerSec: 80},
		{Route: routeDirectDefault, Operation: "GetSessionAndUser", Round: 2, OpsPerSec: 100},
		{Route: routeDirectExec, Operation: "GetSessionAndUser", Round: 2, OpsPerSec: 50},
		{Route: routeBouncerExec, Operation: "GetSessionAndUser", Round: 2, OpsPerSec: 100},
		{Route: routeDirectDefault, Operation: "GetSessionAndUser", Round: 3, OpsPerSec: 1000},
		{Route: routeDirectExec, Operation: "GetSessionAndUser", Round: 3, OpsPerSec: 400},
		{Route: routeBouncerExec, Operation: "GetSessionAndUser", Round: 3, OpsPerSec: 200},
		// Another operation in the same rounds must not be divided by these.
		{Route: routeDirectExec, Operation: "SetSession", Round: 1, OpsPerSec: 10},
		{Route: routeBouncerExec, Operation: "SetSession", Round: 1, OpsPerSec: 20},
	}
	got := summarizePgBouncer(runs)
	var bouncerGet, bouncerSet *pgbouncerSummary
	for i, s := range got {
		switch {
		case s.Route == routeBouncerExec && s.Operation == "GetSessionAndUser":
			bouncerGet = &got[i]
		case s.Route == routeBouncerExec && s.Operation == "SetSession":
			bouncerSet = &got[i]
		case s.Route == routeBouncerSimple || s.Route == routeBouncerDesc:
			t.Errorf("a row for %s, which did not run: %+v", s.Route, s)
		}
	}
	if bouncerGet == nil || bouncerSet == nil {
		t.Fatalf("no PgBouncer exec rows for both operations in %+v", got)
	}
	// Per round: 80/100, 100/50, 200/400 = 0.8, 2, 0.5 (median 0.8); the
	// ratio of medians would be 100/100 = 1.
	if want := []float64{0.8, 2, 0.5}; !slices.Equal(bouncerGet.RoundVsDirectExec, want) || bouncerGet.VsDirectExec != 0.8 || bouncerGet.OpsPerSec != 100 {
		t.Errorf("GetSessionAndUser through PgBouncer = %+v, want ratios to direct exec %v, median 0.8, median ops 100", *bouncerGet, want)
	}
	if want := []float64{0.2, 1, 0.2}; !slices.Equal(bouncerGet.RoundVsDirectDefault, want) || bouncerGet.VsDirectDefault != 0.2 {
		t.Errorf("GetSessionAndUser through PgBouncer = %+v, want ratios to direct default %v, median 0.2", *bouncerGet, want)
	}
	if !slices.Equal(bouncerSet.RoundVsDirectExec, []float64{2}) || len(bouncerSet.RoundVsDirectDefault) != 0 || bouncerSet.VsDirectDefault != 0 {
		t.Errorf("SetSession through PgBouncer = %+v, want one ratio 2 to direct exec and none to direct default (it did not run)", *bouncerSet)
	}
}
