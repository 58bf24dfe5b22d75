package adaptertest

import (
	"context"
	"testing"

	"github.com/luciapg/luciapg"
)

// Harness tells Run how to get an adapter to test.
type Harness struct {
	// New returns a fresh adapter with no rows and the Storage behind it.
	// Run calls it once per case, from parallel subtests.
	New func(t *testing.T) (luciapg.Adapter, Storage)
	// Concurrency is how many SetUser-with-key calls the concurrency case
	// makes at once; set it above the adapter's connection pool size. Zero
	// means 64.
	Concurrency int
	// WithoutFactors leaves out the cases of luciapg.FactorAdapter (F1…),
	// for an adapter that stores no second factors. Without it, those
	// cases fail on an adapter that is no FactorAdapter, saying so: an
	// adapter cannot drop the contract unnoticed.
	WithoutFactors bool
}

// testCase is one conformance case: an id from Lucia's suite (or E for the
// cases it never checked), a description, and the check.
type testCase struct {
	id, name string
	run      func(t *testing.T, c *caseEnv)
}

// caseEnv is what a case gets: the adapter, its storage, and helpers that
// fail the test on storage errors.
type caseEnv struct {
	ctx     context.Context
	adapter luciapg.Adapter
	storage Storage
	harness Harness
}

// Run runs every conformance case against adapters made by h.New, each
// case as a parallel subtest on its own adapter.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("adaptertest: Harness.New is nil")
	}
	if h.Concurrency <= 0 {
		h.Concurrency = 64
	}
	groups := [][]testCase{userCases, keyCases, sessionCases, joinCases, extraCases, consumeCases, extendCases, keySessionCases, throttleCases, inputCases, deviceCases, auditCases, emailChangeCases}
	if h.WithoutFactors {
		t.Log("adaptertest: Harness.WithoutFactors: the factor cases (F1…) are left out")
	} else {
		groups = append(groups, factorCases)
	}
	for _, group := range groups {
		for _, tc := range group {
			t.Run(tc.id+"_"+tc.name, func(t *testing.T) {
				t.Parallel()
				adapter, storage := h.New(t)
				tc.run(t, &caseEnv{ctx: t.Context(), adapter: adapter, storage: storage, harness: h})
			})
		}
	}
}
