package luciapg

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// SetChallenge implements FactorAdapter.
func (s *Store) SetChallenge(ctx context.Context, challenge Challenge) error {
	c := challenge
	if err := input.Challenge(c.ID, c.UserID, c.Purpose, c.Data, c.Expires); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.InsertChallenge(ctx, dbgen.InsertChallengeParams{
			ID:        c.ID,
			UserID:    textOrNull(c.UserID),
			Purpose:   c.Purpose,
			Data:      c.Data,
			ExpiresAt: timestamptz(c.Expires),
		}))
	})
}

// ConsumeChallenge implements FactorAdapter with a single DELETE ...
// RETURNING, so of concurrent calls exactly one gets the ceremony.
func (s *Store) ConsumeChallenge(ctx context.Context, id string, now time.Time) (Challenge, error) {
	if err := input.Time("now", now); err != nil {
		return Challenge{}, err
	}
	if !findable(id) {
		return Challenge{}, ErrChallengeNotFound
	}
	return auditedValue(ctx, s, func(s *Store) (Challenge, error) {
		row, err := s.queries.ConsumeChallenge(ctx, dbgen.ConsumeChallengeParams{ID: id, Now: timestamptz(now)})
		if err != nil {
			return Challenge{}, rowError(err, ErrChallengeNotFound)
		}
		return challengeFromRow(row), nil
	})
}

// SetPendingLogin implements FactorAdapter.
func (s *Store) SetPendingLogin(ctx context.Context, pending PendingLogin) error {
	p := pending
	if err := input.PendingLogin(p.ID, p.UserID, p.ClientBinding, p.Factors, p.KeyID, p.KeyHashDigest, p.Expires); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.InsertPendingLogin(ctx, dbgen.InsertPendingLoginParams{
			ID:            p.ID,
			UserID:        p.UserID,
			ClientBinding: p.ClientBinding,
			Factors:       p.Factors,
			KeyID:         textOrNull(p.KeyID),
			KeyHashDigest: textOrNull(p.KeyHashDigest),
			ExpiresAt:     timestamptz(p.Expires),
		}))
	})
}

// GetPendingLogin implements FactorAdapter.
func (s *Store) GetPendingLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error) {
	if err := input.Time("now", now); err != nil {
		return PendingLogin{}, err
	}
	if !findable(id) {
		return PendingLogin{}, ErrPendingLoginNotFound
	}
	row, err := s.queries.GetPendingLogin(ctx, dbgen.GetPendingLoginParams{ID: id, Now: timestamptz(now)})
	if err != nil {
		return PendingLogin{}, rowError(err, ErrPendingLoginNotFound)
	}
	return pendingLoginFromRow(row), nil
}

// CompletePendingLogin implements FactorAdapter in one transaction, as
// SetSessionForKey does: it locks the user's row (as the session insert's
// foreign key check would, but first, in the order a user's deletion
// takes its locks), deletes the pending login, and when the login checked
// a password, locks the key and compares its hash's digest; then it
// inserts the session and its record. The key's lock waits for a change of
// the key in progress and reads what it committed, so a reset that changed
// the key first is always seen. Any refusal rolls everything back: the
// pending login stays. With an origin in ctx, the session's record holds
// its metadata beside its factors, in one row written by the session's
// insert.
func (s *Store) CompletePendingLogin(ctx context.Context, id string, now time.Time, session Session, factors SessionFactors) error {
	if err := input.Completion(now, session.ID, session.UserID, factors.SessionID, factors.UserID, factors.Factors, factors.AuthenticatedAt); err != nil {
		return err
	}
	withRecord, err := sessionInsert(ctx, session)
	if err != nil {
		return err
	}
	if !findable(id) {
		return ErrPendingLoginNotFound
	}
	return s.audited(ctx, func(s *Store) error {
		return s.completePendingLogin(ctx, id, now, session, factors, withRecord)
	})
}

func (s *Store) completePendingLogin(ctx context.Context, id string, now time.Time, session Session, factors SessionFactors, withRecord *dbgen.InsertSessionWithRecordParams) error {
	return s.inTx(ctx, func(q *dbgen.Queries) error {
		// No such user: the pending login is not this session's, which the
		// checks below say.
		if _, err := q.LockUserForSession(ctx, session.UserID); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		pending, err := q.ConsumePendingLogin(ctx, dbgen.ConsumePendingLoginParams{ID: id, Now: timestamptz(now)})
		if err != nil {
			return orNotFound(err, ErrPendingLoginNotFound)
		}
		if pending.UserID != session.UserID {
			return input.ErrPendingLoginNotSessionUser
		}
		if pending.KeyID != nil {
			key, err := q.LockKeyPassword(ctx, *pending.KeyID)
			if errors.Is(err, pgx.ErrNoRows) || err == nil && !keyStillChecked(key, pending) {
				return ErrKeyChanged
			}
			if err != nil {
				return err
			}
		}
		if withRecord != nil {
			record := *withRecord
			record.Factors, record.AuthenticatedAt = factors.Factors, timestamptz(factors.AuthenticatedAt)
			return q.InsertSessionWithRecord(ctx, record)
		}
		if err := q.InsertSession(ctx, insertSessionParams(session)); err != nil {
			return err
		}
		return q.InsertSessionFactors(ctx, dbgen.InsertSessionFactorsParams{
			SessionID:       session.ID,
			UserID:          session.UserID,
			Factors:         factors.Factors,
			AuthenticatedAt: timestamptz(factors.AuthenticatedAt),
		})
	})
}

// keyStillChecked reports whether key, locked, is still the pending
// login's user's and holds the hash whose digest the login recorded.
func keyStillChecked(key dbgen.LockKeyPasswordRow, pending dbgen.LuciapgPendingLogin) bool {
	if key.UserID != pending.UserID || key.HashedPassword == nil || pending.KeyHashDigest == nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(KeyHashDigest(*key.HashedPassword)), []byte(*pending.KeyHashDigest)) == 1
}

// PurgeExpiredCeremonies implements FactorAdapter in one statement over
// both tables; the Janitor calls it with each purge.
func (s *Store) PurgeExpiredCeremonies(ctx context.Context, before time.Time) (int64, error) {
	if err := input.Time("purge time", before); err != nil {
		return 0, err
	}
	n, err := s.queries.PurgeExpiredCeremonies(ctx, timestamptz(before))
	return n, interpretError(err)
}
