package auth

import (
	"context"

	"github.com/luciapg/luciapg"
)

// RequireSudo returns ErrSudoRequired unless the user proved who they are in
// this session within Config.SudoPeriod (and, for a user with a second
// factor, the session proved one). Call it before a sensitive action
// (changing a password or an email address, adding or removing a second
// factor); BeginTOTPEnrollment, DisableTOTP and GenerateRecoveryCodes call
// it themselves. A session without a factor record (made by a Lucia v1 app,
// or by CreateSession) is never in sudo mode until it re-authenticates.
func (a *Auth) RequireSudo(ctx context.Context, session Session) error {
	fa, err := a.factors()
	if err != nil {
		return err
	}
	record, user, err := fa.GetSessionFactors(ctx, session.ID)
	switch {
	case err != nil:
		return err
	case record.Factors == nil || record.UserID != session.UserID:
		return ErrSudoRequired
	case a.now().Sub(record.AuthenticatedAt) > a.sudoPeriod:
		return ErrSudoRequired
	case user.HasSecondFactor() && !hasSecondFactor(record.Factors):
		return ErrSudoRequired
	}
	return nil
}

// ReauthenticateWithPassword checks the password of the session's user's
// key and marks the session freshly authenticated. The check is UseKey's,
// throttled as a login is; a key of another user is ErrInvalidPassword.
func (a *Auth) ReauthenticateWithPassword(ctx context.Context, session Session, providerID, providerUserID, password string) error {
	key, _, err := a.useKey(ctx, providerID, providerUserID, password)
	if err != nil {
		return err
	}
	if key.UserID != session.UserID {
		// Someone else's password proves nothing about this session.
		return ErrInvalidPassword
	}
	return a.reauthenticated(ctx, session, luciapg.FactorPassword)
}

// ReauthenticateWithTOTP checks an authenticator-app code and marks the
// session freshly authenticated, with the second factor proven: it also
// steps up a session that RequireSecondFactor refused, such as one a Lucia
// v1 app made.
func (a *Auth) ReauthenticateWithTOTP(ctx context.Context, session Session, code string) error {
	if err := a.verifyTOTP(ctx, session.UserID, code); err != nil {
		return err
	}
	return a.reauthenticated(ctx, session, luciapg.FactorTOTP)
}

// ReauthenticateWithRecoveryCode checks (and uses up) a recovery code and
// marks the session freshly authenticated, with the second factor proven.
func (a *Auth) ReauthenticateWithRecoveryCode(ctx context.Context, session Session, code string) error {
	if err := a.useRecoveryCode(ctx, session.UserID, code); err != nil {
		return err
	}
	return a.reauthenticated(ctx, session, luciapg.FactorRecoveryCode)
}

// Reauthenticated marks the session freshly authenticated by a factor the
// application proved itself: luciapg.FactorOAuth after a fresh sign-in with
// the provider of an account linked to the session's user, or
// luciapg.FactorPasskey after a passkey assertion (auth/passkey). Call it
// only after that proof: it checks nothing. A name that is no luciapg
// factor is refused with luciapg.ErrInvalidInput.
func (a *Auth) Reauthenticated(ctx context.Context, session Session, factor string) error {
	if err := checkFactor(factor); err != nil {
		return err
	}
	return a.reauthenticated(ctx, session, factor)
}

// reauthenticated records factor as proven now in the session's record. A
// session without a record starts from a password (how it counted until
// now).
//
// Two re-authentications of one session at once may each write its record
// from the one they read, so one's factor can be lost: that only ever
// takes a proof away, never adds one.
func (a *Auth) reauthenticated(ctx context.Context, session Session, factor string) error {
	fa, err := a.factors()
	if err != nil {
		return err
	}
	record, _, err := a.SessionFactors(ctx, session)
	if err != nil {
		return err
	}
	record.Factors = withFactor(record.Factors, factor)
	record.AuthenticatedAt = a.now()
	return fa.SetSessionFactors(ctx, record)
}
