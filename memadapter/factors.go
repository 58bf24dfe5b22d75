package memadapter

import (
	"bytes"
	"context"
	"maps"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

var _ luciapg.FactorAdapter = (*Adapter)(nil)

// factorTables are luciapg.FactorAdapter's rows, one map per luciapg_*
// table of the Store. Every method reading or writing them holds the
// adapter's mutex, so each call is atomic as the Store's statements and
// transactions are.
type factorTables struct {
	totp          map[string]luciapg.TOTP           // user id →
	recoveryCodes map[string]map[string]bool        // user id → code hash → used
	passkeys      map[string]luciapg.Passkey        // string(credential id) →
	handles       map[string][]byte                 // user id → WebAuthn user handle
	challenges    map[string]luciapg.Challenge      // id →
	pending       map[string]luciapg.PendingLogin   // id →
	sessions      map[string]luciapg.SessionFactors // session id →
}

func newFactorTables() factorTables {
	return factorTables{
		totp:          make(map[string]luciapg.TOTP),
		recoveryCodes: make(map[string]map[string]bool),
		passkeys:      make(map[string]luciapg.Passkey),
		handles:       make(map[string][]byte),
		challenges:    make(map[string]luciapg.Challenge),
		pending:       make(map[string]luciapg.PendingLogin),
		sessions:      make(map[string]luciapg.SessionFactors),
	}
}

// storageNow is the time the Store's now() would stamp a row with: its
// resolution is the microsecond.
func storageNow() time.Time { return time.Now().Truncate(time.Microsecond) }

// deleteFactorsOf deletes the user's second factors, pending logins and
// ceremonies, and with withSessions its sessions' factor records too. The
// caller holds mu.
func (a *Adapter) deleteFactorsOf(userID string, withSessions bool) {
	f := &a.factors
	delete(f.totp, userID)
	delete(f.recoveryCodes, userID)
	delete(f.handles, userID)
	maps.DeleteFunc(f.passkeys, func(_ string, p luciapg.Passkey) bool { return p.UserID == userID })
	maps.DeleteFunc(f.challenges, func(_ string, c luciapg.Challenge) bool { return c.UserID == userID })
	maps.DeleteFunc(f.pending, func(_ string, p luciapg.PendingLogin) bool { return p.UserID == userID })
	if withSessions {
		maps.DeleteFunc(f.sessions, func(_ string, s luciapg.SessionFactors) bool { return s.UserID == userID })
	}
}

func copyTOTP(t luciapg.TOTP) luciapg.TOTP {
	t.EncryptedSecret = bytes.Clone(t.EncryptedSecret)
	return t
}

// GetTOTP implements luciapg.FactorAdapter.
func (a *Adapter) GetTOTP(_ context.Context, userID string) (luciapg.TOTP, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.factors.totp[userID]
	if !ok {
		return luciapg.TOTP{}, luciapg.ErrFactorNotFound
	}
	return copyTOTP(t), nil
}

// SetTOTP implements luciapg.FactorAdapter.
func (a *Adapter) SetTOTP(ctx context.Context, totp luciapg.TOTP) (err error) {
	if err := input.TOTP(totp.UserID, totp.EncryptionKeyID, totp.EncryptedSecret); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, ok := a.users[totp.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	if old, ok := a.factors.totp[totp.UserID]; ok && old.Confirmed {
		return luciapg.ErrFactorExists
	}
	a.factors.totp[totp.UserID] = luciapg.TOTP{
		UserID:          totp.UserID,
		EncryptionKeyID: totp.EncryptionKeyID,
		EncryptedSecret: bytes.Clone(totp.EncryptedSecret),
		CreatedAt:       storageNow(),
	}
	return nil
}

// ConfirmTOTP implements luciapg.FactorAdapter.
func (a *Adapter) ConfirmTOTP(ctx context.Context, userID string, step int64) (err error) {
	if err := input.Step(step); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	t, ok := a.factors.totp[userID]
	if !ok || t.Confirmed {
		return luciapg.ErrFactorNotFound
	}
	t.Confirmed, t.LastStep = true, step
	a.factors.totp[userID] = t
	return nil
}

// UseTOTPStep implements luciapg.FactorAdapter: the comparison and the
// update happen under one hold of the lock.
func (a *Adapter) UseTOTPStep(ctx context.Context, userID string, step int64) (err error) {
	if err := input.Step(step); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	t, ok := a.factors.totp[userID]
	switch {
	case !ok || !t.Confirmed:
		return luciapg.ErrFactorNotFound
	case step <= t.LastStep:
		return luciapg.ErrFactorReplayed
	}
	t.LastStep = step
	a.factors.totp[userID] = t
	return nil
}

// DeleteTOTP implements luciapg.FactorAdapter.
func (a *Adapter) DeleteTOTP(ctx context.Context, userID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, ok := a.factors.totp[userID]; !ok {
		return luciapg.ErrFactorNotFound
	}
	delete(a.factors.totp, userID)
	return nil
}

// SetRecoveryCodes implements luciapg.FactorAdapter.
func (a *Adapter) SetRecoveryCodes(ctx context.Context, userID string, codeHashes []string) (err error) {
	if err := input.CodeHashes(userID, codeHashes); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, ok := a.users[userID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	codes := make(map[string]bool, len(codeHashes))
	for _, h := range codeHashes {
		codes[h] = false
	}
	a.factors.recoveryCodes[userID] = codes
	return nil
}

// UseRecoveryCode implements luciapg.FactorAdapter.
func (a *Adapter) UseRecoveryCode(ctx context.Context, userID, codeHash string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	codes := a.factors.recoveryCodes[userID]
	if used, ok := codes[codeHash]; !ok || used {
		return luciapg.ErrFactorNotFound
	}
	codes[codeHash] = true
	return nil
}

// GetUserFactors implements luciapg.FactorAdapter.
func (a *Adapter) GetUserFactors(_ context.Context, userID string) (luciapg.UserFactors, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.userFactors(userID), nil
}

// userFactors counts the user's second factors. The caller holds mu.
func (a *Adapter) userFactors(userID string) luciapg.UserFactors {
	var f luciapg.UserFactors
	f.TOTP = a.factors.totp[userID].Confirmed
	for _, p := range a.factors.passkeys {
		if p.UserID == userID {
			f.Passkeys++
		}
	}
	for _, used := range a.factors.recoveryCodes[userID] {
		if !used {
			f.RecoveryCodes++
		}
	}
	return f
}

// DeleteSecondFactors implements luciapg.FactorAdapter; an unknown user is
// a no-op. The sessions' factor records stay: they say how the sessions
// were made.
func (a *Adapter) DeleteSecondFactors(ctx context.Context, userID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	a.deleteFactorsOf(userID, false)
	return nil
}
