package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/luciapg/luciapg"
)

// The Cache's luciapg.FactorAdapter: every call goes to the next adapter
// as it is, nothing is cached (second factors, ceremonies and pending
// logins are read on sign-in and re-authentication, not on every request).
// CompletePendingLogin inserts a session, and evicts it as SetSession
// does.

var _ luciapg.FactorAdapter = (*Cache)(nil)

// errNoFactors is every FactorAdapter call's error when the next adapter
// is none: a cache over such an adapter is a plain luciapg.Adapter.
var errNoFactors = fmt.Errorf("sessioncache: the next adapter stores no second factors (it is no luciapg.FactorAdapter): %w", errors.ErrUnsupported)

// factors returns the next adapter as a luciapg.FactorAdapter, or
// errNoFactors.
func (c *Cache) factors() (luciapg.FactorAdapter, error) {
	f, ok := c.next.(luciapg.FactorAdapter)
	if !ok {
		return nil, errNoFactors
	}
	return f, nil
}

// GetTOTP implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetTOTP(ctx context.Context, userID string) (luciapg.TOTP, error) {
	f, err := c.factors()
	if err != nil {
		return luciapg.TOTP{}, err
	}
	return f.GetTOTP(ctx, userID)
}

// SetTOTP implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) SetTOTP(ctx context.Context, totp luciapg.TOTP) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.SetTOTP(ctx, totp)
}

// ConfirmTOTP implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) ConfirmTOTP(ctx context.Context, userID string, step int64) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.ConfirmTOTP(ctx, userID, step)
}

// UseTOTPStep implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.UseTOTPStep(ctx, userID, step)
}

// DeleteTOTP implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) DeleteTOTP(ctx context.Context, userID string) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.DeleteTOTP(ctx, userID)
}

// SetRecoveryCodes implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) SetRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.SetRecoveryCodes(ctx, userID, codeHashes)
}

// UseRecoveryCode implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) UseRecoveryCode(ctx context.Context, userID, codeHash string) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.UseRecoveryCode(ctx, userID, codeHash)
}

// SetPasskey implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) SetPasskey(ctx context.Context, passkey luciapg.Passkey) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.SetPasskey(ctx, passkey)
}

// GetPasskey implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetPasskey(ctx context.Context, credentialID []byte) (luciapg.Passkey, error) {
	f, err := c.factors()
	if err != nil {
		return luciapg.Passkey{}, err
	}
	return f.GetPasskey(ctx, credentialID)
}

// GetPasskeysByUserID implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetPasskeysByUserID(ctx context.Context, userID string) ([]luciapg.Passkey, error) {
	f, err := c.factors()
	if err != nil {
		return nil, err
	}
	return f.GetPasskeysByUserID(ctx, userID)
}

// RenamePasskey implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) RenamePasskey(ctx context.Context, userID string, credentialID []byte, name string) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.RenamePasskey(ctx, userID, credentialID, name)
}

// DeletePasskey implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) DeletePasskey(ctx context.Context, userID string, credentialID []byte) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.DeletePasskey(ctx, userID, credentialID)
}

// UpdatePasskeyUse implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) UpdatePasskeyUse(ctx context.Context, credentialID []byte, oldSignCount, newSignCount uint32, backupState bool, usedAt time.Time) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.UpdatePasskeyUse(ctx, credentialID, oldSignCount, newSignCount, backupState, usedAt)
}

// PasskeyUserHandle implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) PasskeyUserHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error) {
	f, err := c.factors()
	if err != nil {
		return nil, err
	}
	return f.PasskeyUserHandle(ctx, userID, candidate)
}

// GetUserIDByPasskeyHandle implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetUserIDByPasskeyHandle(ctx context.Context, handle []byte) (string, error) {
	f, err := c.factors()
	if err != nil {
		return "", err
	}
	return f.GetUserIDByPasskeyHandle(ctx, handle)
}

// SetChallenge implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) SetChallenge(ctx context.Context, challenge luciapg.Challenge) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.SetChallenge(ctx, challenge)
}

// ConsumeChallenge implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) ConsumeChallenge(ctx context.Context, id string, now time.Time) (luciapg.Challenge, error) {
	f, err := c.factors()
	if err != nil {
		return luciapg.Challenge{}, err
	}
	return f.ConsumeChallenge(ctx, id, now)
}

// SetPendingLogin implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) SetPendingLogin(ctx context.Context, pending luciapg.PendingLogin) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.SetPendingLogin(ctx, pending)
}

// GetPendingLogin implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetPendingLogin(ctx context.Context, id string, now time.Time) (luciapg.PendingLogin, error) {
	f, err := c.factors()
	if err != nil {
		return luciapg.PendingLogin{}, err
	}
	return f.GetPendingLogin(ctx, id, now)
}

// CompletePendingLogin implements luciapg.FactorAdapter through the next
// adapter, evicting the session as SetSession does.
func (c *Cache) CompletePendingLogin(ctx context.Context, id string, now time.Time, session luciapg.Session, factors luciapg.SessionFactors) error {
	defer c.evictSession(keyOf(session.ID), &c.stats.evictedLocal)
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.CompletePendingLogin(ctx, id, now, session, factors)
}

// GetSessionFactors implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetSessionFactors(ctx context.Context, sessionID string) (luciapg.SessionFactors, luciapg.UserFactors, error) {
	f, err := c.factors()
	if err != nil {
		return luciapg.SessionFactors{}, luciapg.UserFactors{}, err
	}
	return f.GetSessionFactors(ctx, sessionID)
}

// SetSessionFactors implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) SetSessionFactors(ctx context.Context, factors luciapg.SessionFactors) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.SetSessionFactors(ctx, factors)
}

// GetUserFactors implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) GetUserFactors(ctx context.Context, userID string) (luciapg.UserFactors, error) {
	f, err := c.factors()
	if err != nil {
		return luciapg.UserFactors{}, err
	}
	return f.GetUserFactors(ctx, userID)
}

// DeleteSecondFactors implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) DeleteSecondFactors(ctx context.Context, userID string) error {
	f, err := c.factors()
	if err != nil {
		return err
	}
	return f.DeleteSecondFactors(ctx, userID)
}

// PurgeExpiredCeremonies implements luciapg.FactorAdapter through the next adapter.
func (c *Cache) PurgeExpiredCeremonies(ctx context.Context, before time.Time) (int64, error) {
	f, err := c.factors()
	if err != nil {
		return 0, err
	}
	return f.PurgeExpiredCeremonies(ctx, before)
}
