package replica

import (
	"context"
	"time"

	"github.com/luciapg/luciapg"
)

// The Router's luciapg.FactorAdapter: every call goes to the primary's
// Store, never to the standby. Second factors are read where a lag could
// let a used code, a deleted passkey or a consumed ceremony be read again,
// and they are read rarely (sign-in, re-authentication).

var _ luciapg.FactorAdapter = (*Router)(nil)

// GetTOTP implements luciapg.FactorAdapter on the primary.
func (r *Router) GetTOTP(ctx context.Context, userID string) (luciapg.TOTP, error) {
	return r.primaryStore.GetTOTP(ctx, userID)
}

// SetTOTP implements luciapg.FactorAdapter on the primary.
func (r *Router) SetTOTP(ctx context.Context, totp luciapg.TOTP) error {
	return r.primaryStore.SetTOTP(ctx, totp)
}

// ConfirmTOTP implements luciapg.FactorAdapter on the primary.
func (r *Router) ConfirmTOTP(ctx context.Context, userID string, step int64) error {
	return r.primaryStore.ConfirmTOTP(ctx, userID, step)
}

// UseTOTPStep implements luciapg.FactorAdapter on the primary.
func (r *Router) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return r.primaryStore.UseTOTPStep(ctx, userID, step)
}

// DeleteTOTP implements luciapg.FactorAdapter on the primary.
func (r *Router) DeleteTOTP(ctx context.Context, userID string) error {
	return r.primaryStore.DeleteTOTP(ctx, userID)
}

// SetRecoveryCodes implements luciapg.FactorAdapter on the primary.
func (r *Router) SetRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error {
	return r.primaryStore.SetRecoveryCodes(ctx, userID, codeHashes)
}

// UseRecoveryCode implements luciapg.FactorAdapter on the primary.
func (r *Router) UseRecoveryCode(ctx context.Context, userID, codeHash string) error {
	return r.primaryStore.UseRecoveryCode(ctx, userID, codeHash)
}

// SetPasskey implements luciapg.FactorAdapter on the primary.
func (r *Router) SetPasskey(ctx context.Context, passkey luciapg.Passkey) error {
	return r.primaryStore.SetPasskey(ctx, passkey)
}

// GetPasskey implements luciapg.FactorAdapter on the primary.
func (r *Router) GetPasskey(ctx context.Context, credentialID []byte) (luciapg.Passkey, error) {
	return r.primaryStore.GetPasskey(ctx, credentialID)
}

// GetPasskeysByUserID implements luciapg.FactorAdapter on the primary.
func (r *Router) GetPasskeysByUserID(ctx context.Context, userID string) ([]luciapg.Passkey, error) {
	return r.primaryStore.GetPasskeysByUserID(ctx, userID)
}

// RenamePasskey implements luciapg.FactorAdapter on the primary.
func (r *Router) RenamePasskey(ctx context.Context, userID string, credentialID []byte, name string) error {
	return r.primaryStore.RenamePasskey(ctx, userID, credentialID, name)
}

// DeletePasskey implements luciapg.FactorAdapter on the primary.
func (r *Router) DeletePasskey(ctx context.Context, userID string, credentialID []byte) error {
	return r.primaryStore.DeletePasskey(ctx, userID, credentialID)
}

// UpdatePasskeyUse implements luciapg.FactorAdapter on the primary.
func (r *Router) UpdatePasskeyUse(ctx context.Context, credentialID []byte, oldSignCount, newSignCount uint32, backupState bool, usedAt time.Time) error {
	return r.primaryStore.UpdatePasskeyUse(ctx, credentialID, oldSignCount, newSignCount, backupState, usedAt)
}

// PasskeyUserHandle implements luciapg.FactorAdapter on the primary.
func (r *Router) PasskeyUserHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error) {
	return r.primaryStore.PasskeyUserHandle(ctx, userID, candidate)
}

// GetUserIDByPasskeyHandle implements luciapg.FactorAdapter on the primary.
func (r *Router) GetUserIDByPasskeyHandle(ctx context.Context, handle []byte) (string, error) {
	return r.primaryStore.GetUserIDByPasskeyHandle(ctx, handle)
}

// SetChallenge implements luciapg.FactorAdapter on the primary.
func (r *Router) SetChallenge(ctx context.Context, challenge luciapg.Challenge) error {
	return r.primaryStore.SetChallenge(ctx, challenge)
}

// ConsumeChallenge implements luciapg.FactorAdapter on the primary.
func (r *Router) ConsumeChallenge(ctx context.Context, id string, now time.Time) (luciapg.Challenge, error) {
	return r.primaryStore.ConsumeChallenge(ctx, id, now)
}

// SetPendingLogin implements luciapg.FactorAdapter on the primary.
func (r *Router) SetPendingLogin(ctx context.Context, pending luciapg.PendingLogin) error {
	return r.primaryStore.SetPendingLogin(ctx, pending)
}

// GetPendingLogin implements luciapg.FactorAdapter on the primary.
func (r *Router) GetPendingLogin(ctx context.Context, id string, now time.Time) (luciapg.PendingLogin, error) {
	return r.primaryStore.GetPendingLogin(ctx, id, now)
}

// CompletePendingLogin implements luciapg.FactorAdapter on the primary.
func (r *Router) CompletePendingLogin(ctx context.Context, id string, now time.Time, session luciapg.Session, factors luciapg.SessionFactors) error {
	return r.primaryStore.CompletePendingLogin(ctx, id, now, session, factors)
}

// GetSessionFactors implements luciapg.FactorAdapter on the primary.
func (r *Router) GetSessionFactors(ctx context.Context, sessionID string) (luciapg.SessionFactors, luciapg.UserFactors, error) {
	return r.primaryStore.GetSessionFactors(ctx, sessionID)
}

// SetSessionFactors implements luciapg.FactorAdapter on the primary.
func (r *Router) SetSessionFactors(ctx context.Context, factors luciapg.SessionFactors) error {
	return r.primaryStore.SetSessionFactors(ctx, factors)
}

// GetUserFactors implements luciapg.FactorAdapter on the primary.
func (r *Router) GetUserFactors(ctx context.Context, userID string) (luciapg.UserFactors, error) {
	return r.primaryStore.GetUserFactors(ctx, userID)
}

// DeleteSecondFactors implements luciapg.FactorAdapter on the primary.
func (r *Router) DeleteSecondFactors(ctx context.Context, userID string) error {
	return r.primaryStore.DeleteSecondFactors(ctx, userID)
}

// PurgeExpiredCeremonies implements luciapg.FactorAdapter on the primary.
func (r *Router) PurgeExpiredCeremonies(ctx context.Context, before time.Time) (int64, error) {
	return r.primaryStore.PurgeExpiredCeremonies(ctx, before)
}
