// Package throttlepolicy completes a configured luciapg.ThrottlePolicy from
// a default, for the auth core and the tokens package alike.
package throttlepolicy

import (
	"fmt"

	"github.com/luciapg/luciapg"
)

// WithDefaults fills the zero fields of p from def, so that setting one
// field never leaves another at a zero that would switch throttling off,
// and returns the policy if Validate accepts it. A negative field is
// refused, never replaced. name says which config field p is, for the
// error, which wraps luciapg.ErrInvalidConfig.
func WithDefaults(name string, p, def luciapg.ThrottlePolicy) (luciapg.ThrottlePolicy, error) {
	if p.FreeAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.Window < 0 {
		return p, fmt.Errorf("%w: %s: a field is negative", luciapg.ErrInvalidConfig, name)
	}
	if p.FreeAttempts == 0 {
		p.FreeAttempts = def.FreeAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = def.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = def.MaxDelay
	}
	if p.Window == 0 {
		p.Window = def.Window
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}
