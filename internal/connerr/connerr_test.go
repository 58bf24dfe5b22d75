package connerr_test

import (
	"errors"
	"testing"

	"github.com/luciapg/luciapg/internal/connerr"
)

// Errors that are not about connecting, and nil, come back unchanged.
func TestExplainLeavesOtherErrorsAlone(t *testing.T) {
	t.Parallel()
	if connerr.Explain(nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
	other := errors.New("something else")
	if got := connerr.Explain(other); got != other {
		t.Errorf("Explain changed an unrelated error: %v", got)
	}
}
