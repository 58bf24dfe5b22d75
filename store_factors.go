package luciapg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// The Store's luciapg.FactorAdapter: authenticator apps, recovery codes and
// the count of a user's second factors here; passkeys, ceremonies and
// pending logins, and sessions' records in the store_*.go files beside.

var _ FactorAdapter = (*Store)(nil)

// orNotFound is notFound when err is "no row", err otherwise: rowError for
// a statement inside inTx, which interprets the error itself.
func orNotFound(err, notFound error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	return err
}

// changedOne is the error of a statement that changes at most one row:
// notFound when it changed none.
func changedOne(n int64, err, notFound error) error {
	if err != nil {
		return interpretError(err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// GetTOTP implements FactorAdapter.
func (s *Store) GetTOTP(ctx context.Context, userID string) (TOTP, error) {
	if !findable(userID) {
		return TOTP{}, ErrFactorNotFound
	}
	row, err := s.queries.GetTOTP(ctx, userID)
	if err != nil {
		return TOTP{}, rowError(err, ErrFactorNotFound)
	}
	return totpFromRow(row), nil
}

// SetTOTP implements FactorAdapter with one upsert that replaces only an
// unconfirmed enrolment.
func (s *Store) SetTOTP(ctx context.Context, totp TOTP) error {
	if err := input.TOTP(totp.UserID, totp.EncryptionKeyID, totp.EncryptedSecret); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.SetTOTP(ctx, dbgen.SetTOTPParams{
			UserID:          totp.UserID,
			EncryptionKeyID: totp.EncryptionKeyID,
			EncryptedSecret: totp.EncryptedSecret,
		})
		if err != nil {
			return interpretError(err)
		}
		if n == 0 {
			return ErrFactorExists
		}
		return nil
	})
}

// ConfirmTOTP implements FactorAdapter.
func (s *Store) ConfirmTOTP(ctx context.Context, userID string, step int64) error {
	if err := input.Step(step); err != nil {
		return err
	}
	if !findable(userID) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.ConfirmTOTP(ctx, dbgen.ConfirmTOTPParams{UserID: userID, Step: step})
		return changedOne(n, err, ErrFactorNotFound)
	})
}

// UseTOTPStep implements FactorAdapter with one conditional UPDATE; only
// when it changes nothing does a second read tell a replay from a missing
// enrolment.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	if err := input.Step(step); err != nil {
		return err
	}
	if !findable(userID) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		return s.useTOTPStep(ctx, userID, step)
	})
}

func (s *Store) useTOTPStep(ctx context.Context, userID string, step int64) error {
	n, err := s.queries.UseTOTPStep(ctx, dbgen.UseTOTPStepParams{UserID: userID, Step: step})
	if err != nil {
		return interpretError(err)
	}
	if n == 1 {
		return nil
	}
	confirmed, err := s.queries.TOTPConfirmed(ctx, userID)
	if err != nil {
		return rowError(err, ErrFactorNotFound)
	}
	if !confirmed {
		return ErrFactorNotFound
	}
	return ErrFactorReplayed
}

// DeleteTOTP implements FactorAdapter.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	if !findable(userID) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.DeleteTOTP(ctx, userID)
		return changedOne(n, err, ErrFactorNotFound)
	})
}

// SetRecoveryCodes implements FactorAdapter in one transaction: it locks
// the user's row (so that two replacements of one user's codes queue, and
// each leaves exactly its own set), deletes the old codes and inserts the
// new ones.
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error {
	if err := input.CodeHashes(userID, codeHashes); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return s.inTx(ctx, func(q *dbgen.Queries) error {
			if _, err := q.LockUserForFactors(ctx, userID); err != nil {
				return orNotFound(err, ErrInvalidUserID)
			}
			if err := q.DeleteRecoveryCodes(ctx, userID); err != nil {
				return err
			}
			if len(codeHashes) == 0 {
				return nil
			}
			return q.InsertRecoveryCodes(ctx, dbgen.InsertRecoveryCodesParams{UserID: userID, CodeHashes: codeHashes})
		})
	})
}

// UseRecoveryCode implements FactorAdapter with one conditional UPDATE:
// of concurrent uses of a code, exactly one changes the row.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, codeHash string) error {
	if !findable(userID) || !findable(codeHash) {
		return ErrFactorNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.UseRecoveryCode(ctx, dbgen.UseRecoveryCodeParams{UserID: userID, CodeHash: codeHash})
		return changedOne(n, err, ErrFactorNotFound)
	})
}

// GetUserFactors implements FactorAdapter in one statement.
func (s *Store) GetUserFactors(ctx context.Context, userID string) (UserFactors, error) {
	if !findable(userID) {
		return UserFactors{}, nil
	}
	row, err := s.queries.GetUserFactors(ctx, userID)
	if err != nil {
		return UserFactors{}, interpretError(err)
	}
	return UserFactors{TOTP: row.Totp, Passkeys: int(row.Passkeys), RecoveryCodes: int(row.RecoveryCodes)}, nil
}

// DeleteSecondFactors implements FactorAdapter: under the lock
// SetRecoveryCodes takes, one statement deletes from every table.
func (s *Store) DeleteSecondFactors(ctx context.Context, userID string) error {
	if !findable(userID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return s.inTx(ctx, func(q *dbgen.Queries) error {
			if _, err := q.LockUserForFactors(ctx, userID); err != nil {
				// No such user: none of its rows can exist.
				return orNotFound(err, nil)
			}
			return q.DeleteSecondFactors(ctx, userID)
		})
	})
}
