package luciapg

import (
	"context"
	"time"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// The Store's luciapg.EmailChangeAdapter: pending email changes, one row
// per user in luciapg_email_change, gone with the user.

var _ EmailChangeAdapter = (*Store)(nil)

// SetEmailChange implements EmailChangeAdapter with one upsert; an unknown
// user is the foreign key's violation (ErrInvalidUserID).
func (s *Store) SetEmailChange(ctx context.Context, change EmailChange) error {
	c := change
	if err := input.EmailChange(c.UserID, c.NewEmail, c.TokenID, c.Expires); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.SetEmailChange(ctx, dbgen.SetEmailChangeParams{
			UserID:    c.UserID,
			NewEmail:  c.NewEmail,
			TokenID:   c.TokenID,
			ExpiresAt: timestamptz(c.Expires),
		}))
	})
}

// GetEmailChange implements EmailChangeAdapter.
func (s *Store) GetEmailChange(ctx context.Context, userID string, now time.Time) (EmailChange, error) {
	if err := input.Time("now", now); err != nil {
		return EmailChange{}, err
	}
	if !findable(userID) {
		return EmailChange{}, ErrEmailChangeNotFound
	}
	row, err := s.queries.GetEmailChange(ctx, dbgen.GetEmailChangeParams{UserID: userID, Now: timestamptz(now)})
	if err != nil {
		return EmailChange{}, rowError(err, ErrEmailChangeNotFound)
	}
	return emailChangeFromRow(row), nil
}

// ConsumeEmailChange implements EmailChangeAdapter with a single DELETE
// ... RETURNING, so of concurrent confirmations exactly one gets the
// change.
func (s *Store) ConsumeEmailChange(ctx context.Context, userID, tokenID string, now time.Time) (EmailChange, error) {
	if err := input.Time("now", now); err != nil {
		return EmailChange{}, err
	}
	if !findable(userID) || !findable(tokenID) {
		return EmailChange{}, ErrEmailChangeNotFound
	}
	return auditedValue(ctx, s, func(s *Store) (EmailChange, error) {
		row, err := s.queries.ConsumeEmailChange(ctx, dbgen.ConsumeEmailChangeParams{UserID: userID, TokenID: tokenID, Now: timestamptz(now)})
		if err != nil {
			return EmailChange{}, rowError(err, ErrEmailChangeNotFound)
		}
		return emailChangeFromRow(row), nil
	})
}

// DeleteEmailChange implements EmailChangeAdapter.
func (s *Store) DeleteEmailChange(ctx context.Context, userID string) error {
	if !findable(userID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.DeleteEmailChange(ctx, userID))
	})
}

// PurgeExpiredEmailChanges implements EmailChangeAdapter in one statement
// (the table holds at most a row per user, each briefly); the Janitor
// calls it with each purge.
func (s *Store) PurgeExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error) {
	if err := input.Time("purge time", before); err != nil {
		return 0, err
	}
	n, err := s.queries.PurgeExpiredEmailChanges(ctx, timestamptz(before))
	return n, interpretError(err)
}

func emailChangeFromRow(row dbgen.LuciapgEmailChange) EmailChange {
	return EmailChange{
		UserID:    row.UserID,
		NewEmail:  row.NewEmail,
		TokenID:   row.TokenID,
		Expires:   timeOf(row.ExpiresAt),
		CreatedAt: timeOf(row.CreatedAt),
	}
}
