package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/luciapg/luciapg"
)

// pendingTokenBytes is a pending login token's randomness; the token is
// its unpadded base64url, pendingTokenLength characters.
const (
	pendingTokenBytes  = 32
	pendingTokenLength = 43
)

// errNotFirstFactor is wrapped with luciapg.ErrInvalidInput.
var errNotFirstFactor = errors.New("a login's first factor is luciapg.FactorPassword or luciapg.FactorOAuth")

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

// BeginLogin is Login for users who may have a second factor: it checks the
// password as Login does (throttled, rehashing an outdated hash, the
// session written only while the key holds the hash just checked) and
// returns a session, or a pending login when the user has a second factor.
//
// The session comes with a factor record saying a password made it, now.
// It is written after the session: if that write fails, the error is
// returned and the session left behind, known to no one, would count as
// password-only and never fresh, as one a Lucia v1 app made: nothing is
// granted by a record that is missing.
//
// A pending login is stored under a hash of its token, bound to the client
// address in ctx (WithClientAddress, as the throttles key it), with the
// key and a digest of the hash the password was checked against, so that a
// password change before the second step ends it. Without an address in
// ctx, the login is bound to no client and the token alone names it: give
// every request its address (authhttp's Middleware does). It does
// not rehash an outdated hash: the password is not kept for the second
// step, and a rehash at the first would race a reset.
func (a *Auth) BeginLogin(ctx context.Context, providerID, providerUserID, password string) (LoginResult, error) {
	fa, err := a.factors()
	if err != nil {
		return LoginResult{}, err
	}
	key, checked, err := a.useKey(ctx, providerID, providerUserID, password)
	if err != nil {
		return LoginResult{}, err
	}
	methods, err := fa.GetUserFactors(ctx, key.UserID)
	if err != nil {
		return LoginResult{}, err
	}
	if methods.HasSecondFactor() {
		pending := luciapg.PendingLogin{UserID: key.UserID, Factors: []string{luciapg.FactorPassword}}
		// A single-use key is already gone: there is nothing left for a
		// reset to change, so nothing to check at the second step.
		if !key.SingleUse() {
			pending.KeyID = key.ProviderID + ":" + key.ProviderUserID
			pending.KeyHashDigest = luciapg.KeyHashDigest(checked)
		}
		return a.beginPendingLogin(ctx, fa, pending, methods)
	}
	row, err := a.sessionForKey(ctx, key, checked, password)
	if err != nil {
		return LoginResult{}, err
	}
	return a.loggedIn(ctx, fa, row, luciapg.FactorPassword)
}

// BeginLoginForUser starts a login whose first factor the application
// proved itself (factor is luciapg.FactorOAuth after an OAuth sign-in):
// a session, or a pending login when the user has a second factor. It
// checks nothing itself; factor must be luciapg.FactorPassword or
// luciapg.FactorOAuth (luciapg.ErrInvalidInput otherwise), and an unknown
// user is luciapg.ErrInvalidUserID.
func (a *Auth) BeginLoginForUser(ctx context.Context, userID, factor string) (LoginResult, error) {
	if !isFirstFactor(factor) {
		return LoginResult{}, invalidInput(errNotFirstFactor)
	}
	fa, err := a.factors()
	if err != nil {
		return LoginResult{}, err
	}
	methods, err := fa.GetUserFactors(ctx, userID)
	if err != nil {
		return LoginResult{}, err
	}
	if methods.HasSecondFactor() {
		return a.beginPendingLogin(ctx, fa, luciapg.PendingLogin{UserID: userID, Factors: []string{factor}}, methods)
	}
	session, err := a.createRecordedSession(ctx, fa, userID, []string{factor})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Session: session}, nil
}

// loggedIn records, for a session just written, that factor made it now.
func (a *Auth) loggedIn(ctx context.Context, fa luciapg.FactorAdapter, row luciapg.Session, factor string) (LoginResult, error) {
	if err := a.setSessionFactors(ctx, fa, row, []string{factor}); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Session: sessionFromRow(row, SessionActive, true)}, nil
}

// beginPendingLogin stores pending (its UserID, Factors and key filled in)
// under a new token, for the client in ctx, and returns it.
func (a *Auth) beginPendingLogin(ctx context.Context, fa luciapg.FactorAdapter, pending luciapg.PendingLogin, methods luciapg.UserFactors) (LoginResult, error) {
	b, err := randomBytes(pendingTokenBytes)
	if err != nil {
		return LoginResult{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	pending.ID = sha256Hex(token)
	pending.ClientBinding = a.clientBinding(ctx)
	pending.Expires = a.now().Add(a.pendingLoginPeriod)
	if err := fa.SetPendingLogin(ctx, pending); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Pending: &PendingLogin{Token: token, UserID: pending.UserID, Expires: pending.Expires, Methods: methods}}, nil
}

// GetPendingLogin returns the pending login named by token, for the
// client in ctx, to show the second-step page: ErrInvalidPendingLogin when
// there is none, it expired, or another client began it.
func (a *Auth) GetPendingLogin(ctx context.Context, token string) (PendingLogin, error) {
	pending, err := a.pendingLogin(ctx, token)
	if err != nil {
		return PendingLogin{}, err
	}
	fa, err := a.factors()
	if err != nil {
		return PendingLogin{}, err
	}
	methods, err := fa.GetUserFactors(ctx, pending.UserID)
	if err != nil {
		return PendingLogin{}, err
	}
	return PendingLogin{Token: token, UserID: pending.UserID, Expires: pending.Expires, Methods: methods}, nil
}

// CompleteLoginWithTOTP finishes a pending login with an authenticator-app
// code (checked and counted as ReauthenticateWithTOTP's are): the session,
// recorded as made by the first factor and the app. The pending login is
// then gone; a wrong code leaves it for another try until it expires.
func (a *Auth) CompleteLoginWithTOTP(ctx context.Context, pendingToken, code string) (Session, error) {
	pending, err := a.pendingLogin(ctx, pendingToken)
	if err != nil {
		return Session{}, err
	}
	if err := a.verifyTOTP(ctx, pending.UserID, code); err != nil {
		return Session{}, err
	}
	return a.completePendingLogin(ctx, pending, luciapg.FactorTOTP)
}

// CompleteLoginWithRecoveryCode finishes a pending login with a recovery
// code, which is then used up.
func (a *Auth) CompleteLoginWithRecoveryCode(ctx context.Context, pendingToken, code string) (Session, error) {
	pending, err := a.pendingLogin(ctx, pendingToken)
	if err != nil {
		return Session{}, err
	}
	if err := a.useRecoveryCode(ctx, pending.UserID, code); err != nil {
		return Session{}, err
	}
	return a.completePendingLogin(ctx, pending, luciapg.FactorRecoveryCode)
}

// pendingLogin returns the stored pending login for token, checked against
// the client in ctx: ErrInvalidPendingLogin otherwise.
func (a *Auth) pendingLogin(ctx context.Context, token string) (luciapg.PendingLogin, error) {
	fa, err := a.factors()
	if err != nil {
		return luciapg.PendingLogin{}, err
	}
	if len(token) != pendingTokenLength {
		return luciapg.PendingLogin{}, ErrInvalidPendingLogin
	}
	now := a.now()
	pending, err := fa.GetPendingLogin(ctx, sha256Hex(token), now)
	switch {
	case errors.Is(err, luciapg.ErrPendingLoginNotFound):
		return luciapg.PendingLogin{}, ErrInvalidPendingLogin
	case err != nil:
		return luciapg.PendingLogin{}, err
	case subtle.ConstantTimeCompare([]byte(a.clientBinding(ctx)), []byte(pending.ClientBinding)) != 1:
		return luciapg.PendingLogin{}, ErrInvalidPendingLogin
	case !pending.Expires.After(now):
		return luciapg.PendingLogin{}, ErrInvalidPendingLogin
	}
	return pending, nil
}

// completePendingLogin turns a pending login whose second factor (factor)
// was just verified into a session with its factor record, in one step of
// the storage that also ends the pending login (so it completes once) and
// checks its key (so a password change since the first step ends it).
func (a *Auth) completePendingLogin(ctx context.Context, pending luciapg.PendingLogin, factor string) (Session, error) {
	fa, err := a.factors()
	if err != nil {
		return Session{}, err
	}
	row, err := a.newSessionRow(pending.UserID)
	if err != nil {
		return Session{}, err
	}
	now := a.now()
	record := luciapg.SessionFactors{
		SessionID:       row.ID,
		UserID:          row.UserID,
		Factors:         withFactor(pending.Factors, factor),
		AuthenticatedAt: now,
	}
	login := a.checkNewClient(ctx, row.UserID)
	err = fa.CompletePendingLogin(a.sessionContext(ctx, row, record.Factors), pending.ID, now, row, record)
	switch {
	case errors.Is(err, luciapg.ErrPendingLoginNotFound), errors.Is(err, luciapg.ErrKeyChanged):
		// Completed or expired since it was read, or the password was
		// changed or reset since the first step.
		return Session{}, ErrInvalidPendingLogin
	case err != nil:
		return Session{}, err
	}
	a.loggedInFrom(ctx, login)
	return sessionFromRow(row, SessionActive, true), nil
}

// unboundClient is the binding of a pending login begun without a client
// address in ctx: the token alone then names the login. It is not "" (the
// storage refuses an empty binding) and can never equal a hex digest.
const unboundClient = "none"

// clientBinding is what a pending login is bound to: the SHA-256 (hex) of
// the client's address as the throttles count it (AddressKey, so a client
// moving within its IPv6 /64 keeps its login), or unboundClient when ctx
// carries no address.
func (a *Auth) clientBinding(ctx context.Context) string {
	addr, ok := ClientAddress(ctx)
	if !ok {
		return unboundClient
	}
	return sha256Hex(a.AddressKey(addr))
}

// sha256Hex is the SHA-256 of s, in hex: how tokens and hashes are stored.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
