package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/luciapg/luciapg"
)

// errNotFactorAdapter says why second factors are unavailable with an
// adapter that cannot store them.
var errNotFactorAdapter = fmt.Errorf("%w: auth: the adapter is no luciapg.FactorAdapter", ErrSecondFactorsUnavailable)

// errUnknownFactor is wrapped with luciapg.ErrInvalidInput.
var errUnknownFactor = errors.New("factor is not one of luciapg's factor names")

// factors returns the adapter as a luciapg.FactorAdapter, or
// ErrSecondFactorsUnavailable.
func (a *Auth) factors() (luciapg.FactorAdapter, error) {
	fa, ok := a.adapter.(luciapg.FactorAdapter)
	if !ok {
		return nil, errNotFactorAdapter
	}
	return fa, nil
}

// SessionFactors returns the session's factor record and its user's second
// factors, in one round trip. A session without a record (made by a Lucia
// v1 app, or by CreateSession) is returned as one proven by a password
// only, with a zero AuthenticatedAt: never freshly authenticated.
func (a *Auth) SessionFactors(ctx context.Context, session Session) (luciapg.SessionFactors, luciapg.UserFactors, error) {
	fa, err := a.factors()
	if err != nil {
		return luciapg.SessionFactors{}, luciapg.UserFactors{}, err
	}
	record, user, err := fa.GetSessionFactors(ctx, session.ID)
	if err != nil {
		return luciapg.SessionFactors{}, luciapg.UserFactors{}, err
	}
	// A record of another user than the session's is no record of it: the
	// storage refuses to write one, so this only guards against a row
	// edited by hand.
	if record.Factors == nil || record.UserID != session.UserID {
		record = luciapg.SessionFactors{SessionID: session.ID, UserID: session.UserID, Factors: []string{luciapg.FactorPassword}}
	}
	return record, user, nil
}

// RequireSecondFactor returns ErrSecondFactorRequired when the session's
// user has a second factor and the session proved none (a session without
// a record, made by a Lucia v1 app, proved none), and nil otherwise.
//
// ValidateSession does not check this: a Lucia v1 app sharing the database
// makes sessions after a password alone, and so does CreateSession. Call
// it (or authhttp's RequireSecondFactor) before serving a session anything
// that the user's second factor protects, and step such a session up with
// ReauthenticateWithTOTP, ReauthenticateWithRecoveryCode or a passkey.
func (a *Auth) RequireSecondFactor(ctx context.Context, session Session) error {
	record, user, err := a.SessionFactors(ctx, session)
	if err != nil {
		return err
	}
	if user.HasSecondFactor() && !hasSecondFactor(record.Factors) {
		return ErrSecondFactorRequired
	}
	return nil
}

// isSecondFactor reports whether factor proves a second factor.
func isSecondFactor(factor string) bool {
	switch factor {
	case luciapg.FactorTOTP, luciapg.FactorPasskey, luciapg.FactorRecoveryCode:
		return true
	}
	return false
}

// isFirstFactor reports whether factor can begin a login.
func isFirstFactor(factor string) bool {
	return factor == luciapg.FactorPassword || factor == luciapg.FactorOAuth
}

// hasSecondFactor reports whether factors include a second factor.
func hasSecondFactor(factors []string) bool {
	return slices.ContainsFunc(factors, isSecondFactor)
}

// checkFactor refuses a name that is no factor luciapg knows: a record
// naming one would count for nothing, silently.
func checkFactor(factor string) error {
	if isFirstFactor(factor) || isSecondFactor(factor) {
		return nil
	}
	return invalidInput(errUnknownFactor)
}

// withFactor returns factors with factor appended, unless already there,
// in a new slice.
func withFactor(factors []string, factor string) []string {
	out := slices.Clone(factors)
	if !slices.Contains(out, factor) {
		out = append(out, factor)
	}
	return out
}

// createRecordedSession is CreateSession with a record saying factors made
// the session, now; the record is written after the session (see
// BeginLogin: a missing record only ever counts as less proof).
func (a *Auth) createRecordedSession(ctx context.Context, fa luciapg.FactorAdapter, userID string, factors []string) (Session, error) {
	session, err := a.createSession(ctx, userID, factors)
	if err != nil {
		return Session{}, err
	}
	row := luciapg.Session{ID: session.ID, UserID: session.UserID}
	if err := a.setSessionFactors(ctx, fa, row, factors); err != nil {
		return Session{}, err
	}
	return session, nil
}

// setSessionFactors stores a new record for a session just written.
func (a *Auth) setSessionFactors(ctx context.Context, fa luciapg.FactorAdapter, row luciapg.Session, factors []string) error {
	return fa.SetSessionFactors(ctx, luciapg.SessionFactors{
		SessionID:       row.ID,
		UserID:          row.UserID,
		Factors:         factors,
		AuthenticatedAt: a.now(),
	})
}
