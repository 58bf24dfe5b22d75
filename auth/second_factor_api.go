package auth

// This file is the second-factor API's skeleton (issue 22): every
// signature here is agreed, the bodies are filled in by the files named in
// each comment, which then remove the stub from here.

import (
	"context"
	"errors"
	"time"

	"github.com/luciapg/luciapg"
)

// The second-factor failures. None of them carries a code, token, secret or
// id.
var (
	// ErrSecondFactorRequired: the user has a second factor and the
	// session (or the login) has not proven one. Login returns it, writing
	// nothing, for such a user: use BeginLogin.
	ErrSecondFactorRequired = &Error{code: "LUCIAPG_SECOND_FACTOR_REQUIRED"}
	// ErrSudoRequired: a sensitive action needs the user to prove who they
	// are again (Config.SudoPeriod).
	ErrSudoRequired = &Error{code: "LUCIAPG_SUDO_REQUIRED"}
	// ErrInvalidCode: a wrong, malformed or already used one-time code or
	// recovery code.
	ErrInvalidCode = &Error{code: "LUCIAPG_INVALID_CODE"}
	// ErrInvalidPendingLogin: no such pending login, or it expired, was
	// already completed, or is presented by another client than the one
	// that began it.
	ErrInvalidPendingLogin = &Error{code: "LUCIAPG_INVALID_PENDING_LOGIN"}
	// ErrSecondFactorsUnavailable: the adapter does not store second
	// factors (it is no luciapg.FactorAdapter), or what the call needs is
	// not configured (Config.SecretKeys for an authenticator app); the
	// wrapping error says which.
	ErrSecondFactorsUnavailable = &Error{code: "LUCIAPG_SECOND_FACTORS_UNAVAILABLE"}
)

// errStub is what a stub returns until its file lands.
var errStub = errors.New("auth: not implemented yet")

// SecretKey is an application key that seals authenticator-app secrets
// (AES-256-GCM): a database dump without it yields no usable secret.
type SecretKey struct {
	// ID names the key in each sealed secret, so that keys can be rotated:
	// 1 to 32 characters of [A-Za-z0-9_-].
	ID string
	// Key is 32 random bytes.
	Key []byte
}

// PendingLogin is a login waiting for its second factor, as the client sees
// it. Send Token to the client (authhttp keeps it in a cookie); never log it.
type PendingLogin struct {
	// Token is the secret that names the pending login.
	Token string
	// UserID is the user logging in.
	UserID string
	// Expires ends it (Config.PendingLoginPeriod after it began).
	Expires time.Time
	// Methods are the second factors the user can finish with.
	Methods luciapg.UserFactors
}

// LoginResult is the outcome of a first factor: a session, or, for a user
// with a second factor, a pending login.
type LoginResult struct {
	// Session is the new session when Pending is nil.
	Session Session
	// Pending is the login that waits for a second factor, or nil.
	Pending *PendingLogin
}

// TOTPEnrollment is an authenticator-app enrolment to show the user once.
type TOTPEnrollment struct {
	// URI is the otpauth:// URI an authenticator app reads.
	URI string
	// Secret is the secret in base32, for typing in by hand.
	Secret string
	// QRCode is a PNG image of URI.
	QRCode []byte
}

// --- two-step login (pending_login.go) ---

// BeginLogin is Login for users who may have a second factor: it checks the
// password as Login does and returns a session, or a pending login when the
// user has a second factor.
func (a *Auth) BeginLogin(ctx context.Context, providerID, providerUserID, password string) (LoginResult, error) {
	return LoginResult{}, errStub
}

// BeginLoginForUser starts a login whose first factor the application
// proved itself (factor is luciapg.FactorOAuth after an OAuth sign-in):
// a session, or a pending login when the user has a second factor.
func (a *Auth) BeginLoginForUser(ctx context.Context, userID, factor string) (LoginResult, error) {
	return LoginResult{}, errStub
}

// GetPendingLogin returns the pending login named by token, for the
// client in ctx, to show the second-step page.
func (a *Auth) GetPendingLogin(ctx context.Context, token string) (PendingLogin, error) {
	return PendingLogin{}, errStub
}

// CompleteLoginWithTOTP finishes a pending login with an authenticator-app
// code.
func (a *Auth) CompleteLoginWithTOTP(ctx context.Context, pendingToken, code string) (Session, error) {
	return Session{}, errStub
}

// CompleteLoginWithRecoveryCode finishes a pending login with a recovery
// code, which is then used up.
func (a *Auth) CompleteLoginWithRecoveryCode(ctx context.Context, pendingToken, code string) (Session, error) {
	return Session{}, errStub
}

// pendingLogin returns the stored pending login for token, checked against
// the client in ctx: ErrInvalidPendingLogin otherwise.
func (a *Auth) pendingLogin(ctx context.Context, token string) (luciapg.PendingLogin, error) {
	return luciapg.PendingLogin{}, errStub
}

// completePendingLogin turns a pending login whose second factor (factor)
// was just verified into a session with its factor record.
func (a *Auth) completePendingLogin(ctx context.Context, pending luciapg.PendingLogin, factor string) (Session, error) {
	return Session{}, errStub
}

// --- factors of a session, sudo mode (session_factors.go, sudo.go) ---

// SessionFactors returns the session's factor record and its user's second
// factors, in one round trip.
func (a *Auth) SessionFactors(ctx context.Context, session Session) (luciapg.SessionFactors, luciapg.UserFactors, error) {
	return luciapg.SessionFactors{}, luciapg.UserFactors{}, errStub
}

// RequireSecondFactor returns ErrSecondFactorRequired when the session's
// user has a second factor and the session proved none (a session without
// a record, made by a Lucia v1 app, proved none), and nil otherwise.
func (a *Auth) RequireSecondFactor(ctx context.Context, session Session) error {
	return errStub
}

// RequireSudo returns ErrSudoRequired unless the user proved who they are in
// this session within Config.SudoPeriod (and, for a user with a second
// factor, the session proved one).
func (a *Auth) RequireSudo(ctx context.Context, session Session) error {
	return errStub
}

// ReauthenticateWithPassword checks the password of the session's user's
// key and marks the session freshly authenticated.
func (a *Auth) ReauthenticateWithPassword(ctx context.Context, session Session, providerID, providerUserID, password string) error {
	return errStub
}

// ReauthenticateWithTOTP checks an authenticator-app code and marks the
// session freshly authenticated, with the second factor proven.
func (a *Auth) ReauthenticateWithTOTP(ctx context.Context, session Session, code string) error {
	return errStub
}

// ReauthenticateWithRecoveryCode checks (and uses up) a recovery code and
// marks the session freshly authenticated, with the second factor proven.
func (a *Auth) ReauthenticateWithRecoveryCode(ctx context.Context, session Session, code string) error {
	return errStub
}

// Reauthenticated marks the session freshly authenticated by a factor the
// application proved itself: luciapg.FactorOAuth after a fresh sign-in with
// the provider of an account linked to the session's user. Call it only
// after that proof.
func (a *Auth) Reauthenticated(ctx context.Context, session Session, factor string) error {
	return errStub
}

// reauthenticated records factor as proven now in the session's record.
func (a *Auth) reauthenticated(ctx context.Context, session Session, factor string) error {
	return errStub
}

// factors returns the adapter as a luciapg.FactorAdapter, or
// ErrSecondFactorsUnavailable.
func (a *Auth) factors() (luciapg.FactorAdapter, error) {
	return nil, errStub
}

// --- authenticator app and recovery codes (totp.go, recovery_codes.go) ---

// BeginTOTPEnrollment (sudo) makes a new secret for the session's user and
// stores it sealed and unconfirmed. accountName labels it in the app (an
// email or username).
func (a *Auth) BeginTOTPEnrollment(ctx context.Context, session Session, accountName string) (TOTPEnrollment, error) {
	return TOTPEnrollment{}, errStub
}

// ConfirmTOTPEnrollment activates the enrolment with a first correct code.
func (a *Auth) ConfirmTOTPEnrollment(ctx context.Context, session Session, code string) error {
	return errStub
}

// DisableTOTP (sudo) removes the user's authenticator app.
func (a *Auth) DisableTOTP(ctx context.Context, session Session) error {
	return errStub
}

// GenerateRecoveryCodes (sudo) replaces the user's recovery codes with ten
// new ones, returned once.
func (a *Auth) GenerateRecoveryCodes(ctx context.Context, session Session) ([]string, error) {
	return nil, errStub
}

// --- extension points for second-factor packages (auth/passkey) ---

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
// as auth/passkey.
func (a *Auth) CompleteLoginWith(ctx context.Context, pendingToken, factor string, verify func(ctx context.Context, userID string) error) (Session, error) {
	return Session{}, errStub
}

// CreateSessionWithFactors creates a session for the user with a factor
// record saying factors made it, as if a login had proven them: for
// packages whose one step proves more than one factor, such as a
// passwordless passkey login with user verification. It checks nothing.
func (a *Auth) CreateSessionWithFactors(ctx context.Context, userID string, factors ...string) (Session, error) {
	return Session{}, errStub
}
