package faultload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luciapg/luciapg"
)

// Validator is what a request validates a session cookie with: a
// sessioncache.Cache, possibly over a replica.Router.
type Validator interface {
	GetSessionAndUser(ctx context.Context, sessionID string) (luciapg.Session, luciapg.User, error)
}

// Revocations checks a validator's promise about revoked sessions: once a
// revocation has been acknowledged, the validator serves the session for
// at most Bound (a session cache's MaxLag; over a replica router, the
// larger of that and the router's MaxLag). Each revocation it is told of
// is validated again at fixed offsets from its acknowledgment, just
// before the bound, just after it and later; a read that began more than
// Bound after the acknowledgment and still returned the session breaks
// the promise. The zero value is not usable; call NewRevocations.
type Revocations struct {
	validator Validator
	bound     time.Duration
	timeout   time.Duration
	offsets   []time.Duration

	wg                                    sync.WaitGroup
	revoked, probes, servedWithin, served atomic.Int64
	errs                                  atomic.Int64
	mu                                    sync.Mutex
	problems                              []string
}

// NewRevocations returns a checker of validator's promise to stop serving
// a revoked session within bound; each validation has timeout to return.
func NewRevocations(validator Validator, bound, timeout time.Duration) *Revocations {
	return &Revocations{
		validator: validator,
		bound:     bound,
		timeout:   timeout,
		// At once (within the bound, for information), halfway, just past
		// the bound (the promise's edge) and well past it.
		offsets: []time.Duration{0, bound / 2, bound + time.Millisecond, bound + bound/2 + time.Millisecond, 3 * bound},
	}
}

// Bound is the promise being checked.
func (r *Revocations) Bound() time.Duration { return r.bound }

// Revoked records that the revocation of sessionID was acknowledged at
// acked, and validates the session again at each offset, in a goroutine
// of its own; Wait waits for them all.
func (r *Revocations) Revoked(sessionID string, acked time.Time) {
	r.revoked.Add(1)
	r.wg.Go(func() {
		for _, off := range r.offsets {
			time.Sleep(time.Until(acked.Add(off)))
			r.probe(sessionID, acked)
		}
	})
}

func (r *Revocations) probe(sessionID string, acked time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	began := time.Now()
	_, _, err := r.validator.GetSessionAndUser(ctx, sessionID)
	r.probes.Add(1)
	switch {
	case errors.Is(err, luciapg.ErrInvalidSessionID):
	case err == nil && began.Sub(acked) > r.bound:
		r.served.Add(1)
		r.mu.Lock()
		// Never the session id: it is a secret.
		r.problems = append(r.problems, fmt.Sprintf("a session revoked %s earlier was served (bound %s)",
			began.Sub(acked).Round(time.Millisecond), r.bound))
		r.mu.Unlock()
	case err == nil:
		r.servedWithin.Add(1)
	case ConnectionLost(err):
		// The server is away: the validator refused rather than served.
		r.errs.Add(1)
	default:
		r.mu.Lock()
		r.problems = append(r.problems, fmt.Sprintf("validating a revoked session: unexpected error: %v", err))
		r.mu.Unlock()
	}
}

// Wait blocks until every revocation recorded so far has been validated at
// each offset.
func (r *Revocations) Wait() { r.wg.Wait() }

// RevocationReport is what Revocations saw.
type RevocationReport struct {
	// Bound is the promise checked.
	Bound time.Duration
	// Revoked counts the acknowledged revocations checked, Probes the
	// validations of them.
	Revoked, Probes int64
	// ServedWithinBound counts validations that returned a revoked
	// session while the promise allowed it (for information).
	ServedWithinBound int64
	// ServedPastBound counts validations that began more than Bound after
	// the revocation's acknowledgment and returned the session: must be 0.
	ServedPastBound int64
	// ConnectionErrors counts validations that lost their connection.
	ConnectionErrors int64
	// Problems are the broken promises and unexpected errors.
	Problems []string
}

// Report returns the counts so far; call Wait first for final ones.
func (r *Revocations) Report() RevocationReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RevocationReport{
		Bound:             r.bound,
		Revoked:           r.revoked.Load(),
		Probes:            r.probes.Load(),
		ServedWithinBound: r.servedWithin.Load(),
		ServedPastBound:   r.served.Load(),
		ConnectionErrors:  r.errs.Load(),
		Problems:          append([]string(nil), r.problems...),
	}
}

// String is the report's result line.
func (rr RevocationReport) String() string {
	return fmt.Sprintf("revoked=%d probes=%d bound=%s served_within_bound=%d revoked_served_past_bound=%d probe_connection_errors=%d",
		rr.Revoked, rr.Probes, rr.Bound, rr.ServedWithinBound, rr.ServedPastBound, rr.ConnectionErrors)
}
