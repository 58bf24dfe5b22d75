package auth

import (
	"context"
	"errors"
	"time"

	"github.com/luciapg/luciapg"
)

// Extension points for packages that verify second factors of their own
// kind, such as auth/passkey: they store through FactorAdapter, and turn
// what they verified into sessions here, with the same records, single-use
// pending logins and sudo mode as the factors of this package.

var (
	errNotSecondFactor = errors.New("factor is not a second factor (luciapg.FactorTOTP, FactorRecoveryCode or FactorPasskey)")
	errNilVerify       = errors.New("verify is nil")
	errNoFactors       = errors.New("no factors")
)

// FactorAdapter returns the Auth's adapter as a luciapg.FactorAdapter, or
// ErrSecondFactorsUnavailable: for packages that store second factors of
// their own kind, such as auth/passkey.
func (a *Auth) FactorAdapter() (luciapg.FactorAdapter, error) {
	return a.factors()
}

// CompleteLoginWith finishes the pending login named by pendingToken (for
// the client in ctx) with a second factor that verify checks: verify gets
// the pending login's user and returns nil only when that user just proved
// factor. For packages that verify second factors of their own kind, such
// as auth/passkey. factor must be a second factor's name
// (luciapg.ErrInvalidInput otherwise); verify's error is returned as it
// is, and the pending login then stays for another try. Throttling the
// attempts, if the factor needs it, is verify's.
func (a *Auth) CompleteLoginWith(ctx context.Context, pendingToken, factor string, verify func(ctx context.Context, userID string) error) (Session, error) {
	if !isSecondFactor(factor) {
		return Session{}, invalidInput(errNotSecondFactor)
	}
	if verify == nil {
		return Session{}, invalidInput(errNilVerify)
	}
	pending, err := a.pendingLogin(ctx, pendingToken)
	if err != nil {
		return Session{}, err
	}
	if err := verify(ctx, pending.UserID); err != nil {
		return Session{}, err
	}
	return a.completePendingLogin(ctx, pending, factor)
}

// CreateSessionWithFactors creates a session for the user with a factor
// record saying factors made it, now, as if a login had proven them: for
// packages whose one step proves more than one factor, such as a
// passwordless passkey login with user verification. It checks nothing.
// Each factor must be one of luciapg's names (a repeated one counts once);
// none, or another name, is luciapg.ErrInvalidInput. As with BeginLogin, a
// record that fails to be written after its session leaves a session that
// counts as password-only, and the error is returned.
func (a *Auth) CreateSessionWithFactors(ctx context.Context, userID string, factors ...string) (Session, error) {
	if len(factors) == 0 {
		return Session{}, invalidInput(errNoFactors)
	}
	var record []string
	for _, f := range factors {
		if err := checkFactor(f); err != nil {
			return Session{}, err
		}
		record = withFactor(record, f)
	}
	fa, err := a.factors()
	if err != nil {
		return Session{}, err
	}
	return a.createRecordedSession(ctx, fa, userID, record)
}

// EmailChangeAdapter returns the Auth's adapter as a
// luciapg.EmailChangeAdapter, and false when it is none: for
// auth/tokens' EmailChanges, which stores pending changes there.
func (a *Auth) EmailChangeAdapter() (luciapg.EmailChangeAdapter, bool) {
	ea, ok := a.adapter.(luciapg.EmailChangeAdapter)
	return ea, ok
}

// Now is the time by the Auth's clock (Config.Now): for packages whose
// expiries must agree with the core's, such as auth/tokens.
func (a *Auth) Now() time.Time { return a.now() }
