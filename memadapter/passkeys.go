package memadapter

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// copyPasskey returns p sharing no memory with the original, read back as
// the Store reads it: Transports never nil, an empty AAGUID nil.
func copyPasskey(p luciapg.Passkey) luciapg.Passkey {
	p.CredentialID = bytes.Clone(p.CredentialID)
	p.PublicKey = bytes.Clone(p.PublicKey)
	p.Transports = append([]string{}, p.Transports...)
	if len(p.AAGUID) == 0 {
		p.AAGUID = nil
	} else {
		p.AAGUID = bytes.Clone(p.AAGUID)
	}
	return p
}

// SetPasskey implements luciapg.FactorAdapter.
func (a *Adapter) SetPasskey(ctx context.Context, passkey luciapg.Passkey) (err error) {
	p := passkey
	if err := input.Passkey(p.CredentialID, p.UserID, p.Name, p.PublicKey, p.AttestationType, p.Transports, p.AAGUID); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, taken := a.factors.passkeys[string(p.CredentialID)]; taken {
		return luciapg.ErrFactorExists
	}
	if _, ok := a.users[p.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	p = copyPasskey(p)
	p.CreatedAt, p.LastUsedAt = storageNow(), time.Time{}
	a.factors.passkeys[string(p.CredentialID)] = p
	return nil
}

// GetPasskey implements luciapg.FactorAdapter.
func (a *Adapter) GetPasskey(_ context.Context, credentialID []byte) (luciapg.Passkey, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.factors.passkeys[string(credentialID)]
	if !ok {
		return luciapg.Passkey{}, luciapg.ErrFactorNotFound
	}
	return copyPasskey(p), nil
}

// GetPasskeysByUserID implements luciapg.FactorAdapter, in the Store's
// order: by CreatedAt, then by credential id.
func (a *Adapter) GetPasskeysByUserID(_ context.Context, userID string) ([]luciapg.Passkey, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	passkeys := []luciapg.Passkey{}
	for _, p := range a.factors.passkeys {
		if p.UserID == userID {
			passkeys = append(passkeys, copyPasskey(p))
		}
	}
	slices.SortFunc(passkeys, func(x, y luciapg.Passkey) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(x.CredentialID, y.CredentialID)
	})
	return passkeys, nil
}

// usersPasskey returns the user's passkey with this credential id. The
// caller holds mu.
func (a *Adapter) usersPasskey(userID string, credentialID []byte) (luciapg.Passkey, bool) {
	p, ok := a.factors.passkeys[string(credentialID)]
	return p, ok && p.UserID == userID
}

// RenamePasskey implements luciapg.FactorAdapter.
func (a *Adapter) RenamePasskey(ctx context.Context, userID string, credentialID []byte, name string) (err error) {
	if err := input.PasskeyName(name); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	p, ok := a.usersPasskey(userID, credentialID)
	if !ok {
		return luciapg.ErrFactorNotFound
	}
	p.Name = name
	a.factors.passkeys[string(credentialID)] = p
	return nil
}

// DeletePasskey implements luciapg.FactorAdapter.
func (a *Adapter) DeletePasskey(ctx context.Context, userID string, credentialID []byte) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, ok := a.usersPasskey(userID, credentialID); !ok {
		return luciapg.ErrFactorNotFound
	}
	delete(a.factors.passkeys, string(credentialID))
	return nil
}

// UpdatePasskeyUse implements luciapg.FactorAdapter: compare and set under
// one hold of the lock.
func (a *Adapter) UpdatePasskeyUse(ctx context.Context, credentialID []byte, oldSignCount, newSignCount uint32, backupState bool, usedAt time.Time) (err error) {
	if err := input.Time("passkey use time", usedAt); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	p, ok := a.factors.passkeys[string(credentialID)]
	switch {
	case !ok:
		return luciapg.ErrFactorNotFound
	case p.SignCount != oldSignCount:
		return luciapg.ErrFactorReplayed
	}
	p.SignCount, p.BackupState, p.LastUsedAt = newSignCount, backupState, usedAt.Truncate(time.Microsecond)
	a.factors.passkeys[string(credentialID)] = p
	return nil
}

// PasskeyUserHandle implements luciapg.FactorAdapter.
func (a *Adapter) PasskeyUserHandle(ctx context.Context, userID string, candidate []byte) (_ []byte, err error) {
	if err := input.UserID(userID); err != nil {
		return nil, err
	}
	if err := input.UserHandle(candidate); err != nil {
		return nil, err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock(&err)
	if _, ok := a.users[userID]; !ok {
		return nil, luciapg.ErrInvalidUserID
	}
	if handle, ok := a.factors.handles[userID]; ok {
		return bytes.Clone(handle), nil
	}
	for _, other := range a.factors.handles {
		if bytes.Equal(other, candidate) {
			return nil, luciapg.ErrFactorExists
		}
	}
	a.factors.handles[userID] = bytes.Clone(candidate)
	return bytes.Clone(candidate), nil
}

// GetUserIDByPasskeyHandle implements luciapg.FactorAdapter.
func (a *Adapter) GetUserIDByPasskeyHandle(_ context.Context, handle []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for userID, h := range a.factors.handles {
		if bytes.Equal(h, handle) {
			return userID, nil
		}
	}
	return "", luciapg.ErrInvalidUserID
}
