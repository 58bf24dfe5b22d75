package luciapg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// GetSessionFactors implements FactorAdapter in one statement: the session
// joined to its record, with its user's factors counted.
func (s *Store) GetSessionFactors(ctx context.Context, sessionID string) (SessionFactors, UserFactors, error) {
	if !findable(sessionID) {
		return SessionFactors{}, UserFactors{}, ErrInvalidSessionID
	}
	row, err := s.queries.GetSessionFactors(ctx, sessionID)
	if err != nil {
		return SessionFactors{}, UserFactors{}, rowError(err, ErrInvalidSessionID)
	}
	record := SessionFactors{SessionID: sessionID, UserID: row.UserID}
	if row.AuthenticatedAt.Valid {
		// NULL is the join's "none", or a row holding metadata only (the
		// two columns are NULL together): no record either way.
		record.Factors, record.AuthenticatedAt = row.Factors, row.AuthenticatedAt.Time
	}
	return record, UserFactors{TOTP: row.Totp, Passkeys: int(row.Passkeys), RecoveryCodes: int(row.RecoveryCodes)}, nil
}

// SetSessionFactors implements FactorAdapter with one upsert that stores
// the record only for the session's own user, and keeps the metadata the
// session's row may hold; only when it stores nothing does a second read
// say why.
func (s *Store) SetSessionFactors(ctx context.Context, factors SessionFactors) error {
	if err := input.SessionFactors(factors.SessionID, factors.UserID, factors.Factors, factors.AuthenticatedAt); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return s.setSessionFactors(ctx, factors)
	})
}

func (s *Store) setSessionFactors(ctx context.Context, factors SessionFactors) error {
	n, err := s.queries.SetSessionFactors(ctx, dbgen.SetSessionFactorsParams{
		SessionID:       factors.SessionID,
		UserID:          factors.UserID,
		Factors:         factors.Factors,
		AuthenticatedAt: timestamptz(factors.AuthenticatedAt),
	})
	if err != nil {
		return interpretError(err)
	}
	if n == 1 {
		return nil
	}
	if _, err := s.queries.GetSessionUserID(ctx, factors.SessionID); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrInvalidSessionID
		}
		return interpretError(err)
	}
	return input.ErrSessionFactorsNotSessionUser
}
