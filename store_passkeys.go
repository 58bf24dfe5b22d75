package luciapg

import (
	"context"
	"time"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// SetPasskey implements FactorAdapter. A taken credential id is the
// primary key's unique violation (ErrFactorExists), an unknown user the
// foreign key's (ErrInvalidUserID).
func (s *Store) SetPasskey(ctx context.Context, passkey Passkey) error {
	p := passkey
	if err := input.Passkey(p.CredentialID, p.UserID, p.Name, p.PublicKey, p.AttestationType, p.Transports, p.AAGUID); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.InsertPasskey(ctx, insertPasskeyParams(p)))
	})
}

// GetPasskey implements FactorAdapter.
func (s *Store) GetPasskey(ctx context.Context, credentialID []byte) (Passkey, error) {
	if !input.FindableCredentialID(credentialID) {
		return Passkey{}, ErrFactorNotFound
	}
	row, err := s.queries.GetPasskey(ctx, credentialID)
	if err != nil {
		return Passkey{}, rowError(err, ErrFactorNotFound)
	}
	return passkeyFromRow(row), nil
}

// GetPasskeysByUserID implements FactorAdapter.
func (s *Store) GetPasskeysByUserID(ctx context.Context, userID string) ([]Passkey, error) {
	if !findable(userID) {
		return []Passkey{}, nil
	}
	rows, err := s.queries.GetPasskeysByUserID(ctx, userID)
	if err != nil {
		return nil, interpretError(err)
	}
	passkeys := make([]Passkey, len(rows))
	for i, row := range rows {
		passkeys[i] = passkeyFromRow(row)
	}
	return passkeys, nil
}

// RenamePasskey implements FactorAdapter.
func (s *Store) RenamePasskey(ctx context.Context, userID string, credentialID []byte, name string) error {
	if err := input.PasskeyName(name); err != nil {
		return err
	}
	if !findable(userID) || !input.FindableCredentialID(credentialID) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.RenamePasskey(ctx, dbgen.RenamePasskeyParams{CredentialID: credentialID, UserID: userID, Name: name})
		return changedOne(n, err, ErrFactorNotFound)
	})
}

// DeletePasskey implements FactorAdapter.
func (s *Store) DeletePasskey(ctx context.Context, userID string, credentialID []byte) error {
	if !findable(userID) || !input.FindableCredentialID(credentialID) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.DeletePasskey(ctx, dbgen.DeletePasskeyParams{CredentialID: credentialID, UserID: userID})
		return changedOne(n, err, ErrFactorNotFound)
	})
}

// UpdatePasskeyUse implements FactorAdapter with one compare-and-set
// UPDATE; only when it changes nothing does a second read tell a
// concurrent use from a passkey gone.
func (s *Store) UpdatePasskeyUse(ctx context.Context, credentialID []byte, oldSignCount, newSignCount uint32, backupState bool, usedAt time.Time) error {
	if err := input.Time("passkey use time", usedAt); err != nil {
		return err
	}
	if !input.FindableCredentialID(credentialID) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		return s.updatePasskeyUse(ctx, credentialID, oldSignCount, newSignCount, backupState, usedAt)
	})
}

func (s *Store) updatePasskeyUse(ctx context.Context, credentialID []byte, oldSignCount, newSignCount uint32, backupState bool, usedAt time.Time) error {
	n, err := s.queries.UpdatePasskeyUse(ctx, dbgen.UpdatePasskeyUseParams{
		CredentialID: credentialID,
		OldSignCount: int64(oldSignCount),
		NewSignCount: int64(newSignCount),
		BackupState:  backupState,
		UsedAt:       timestamptz(usedAt),
	})
	if err != nil {
		return interpretError(err)
	}
	if n == 1 {
		return nil
	}
	exists, err := s.queries.PasskeyExists(ctx, credentialID)
	if err != nil {
		return interpretError(err)
	}
	if !exists {
		return ErrFactorNotFound
	}
	return ErrFactorReplayed
}

// PasskeyUserHandle implements FactorAdapter in one upsert that returns
// the handle stored first.
func (s *Store) PasskeyUserHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error) {
	if err := input.UserID(userID); err != nil {
		return nil, err
	}
	if err := input.UserHandle(candidate); err != nil {
		return nil, err
	}
	return auditedValue(ctx, s, func(s *Store) ([]byte, error) {
		handle, err := s.queries.PasskeyUserHandle(ctx, dbgen.PasskeyUserHandleParams{UserID: userID, Candidate: candidate})
		if err != nil {
			return nil, interpretError(err)
		}
		return handle, nil
	})
}

// GetUserIDByPasskeyHandle implements FactorAdapter.
func (s *Store) GetUserIDByPasskeyHandle(ctx context.Context, handle []byte) (string, error) {
	if !input.FindableUserHandle(handle) {
		return "", ErrInvalidUserID
	}
	userID, err := s.queries.GetUserIDByPasskeyHandle(ctx, handle)
	if err != nil {
		return "", rowError(err, ErrInvalidUserID)
	}
	return userID, nil
}
