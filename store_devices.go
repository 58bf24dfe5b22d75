package luciapg

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// The Store's luciapg.DeviceAdapter: a user's sessions with their
// metadata, and the revocations a user drives. The metadata rows are
// written by the session inserts (see store_records.go).

var _ DeviceAdapter = (*Store)(nil)

// GetUserSessionsMetadata implements DeviceAdapter in one statement (the
// sessions joined to their metadata); only an empty list costs a second,
// to tell a user without sessions from no such user.
func (s *Store) GetUserSessionsMetadata(ctx context.Context, userID string) ([]SessionMetadata, error) {
	if !findable(userID) {
		return nil, ErrInvalidUserID
	}
	list, err := s.userSessionsMetadata(ctx, userID)
	if err != nil || len(list) > 0 {
		return list, interpretError(err)
	}
	exists, err := s.queries.UserExists(ctx, userID)
	if err != nil {
		return nil, interpretError(err)
	}
	if !exists {
		return nil, ErrInvalidUserID
	}
	return list, nil
}

// userSessionsMetadata runs dbgen.GetUserSessionsMetadata's text, scanning
// straight into SessionMetadata as collectRows does (see list_queries.go).
func (s *Store) userSessionsMetadata(ctx context.Context, userID string) ([]SessionMetadata, error) {
	rows, err := s.db.Query(ctx, dbgen.GetUserSessionsMetadata, userID)
	if err != nil {
		return nil, err
	}
	var (
		m                     SessionMetadata
		createdAt, lastSeenAt pgtype.Timestamptz
		address, userAgent    *string
	)
	list := []SessionMetadata{}
	_, err = pgx.ForEachRow(rows, []any{
		&m.Session.ID, &m.Session.UserID, &m.Session.ActiveExpires, &m.Session.IdleExpires,
		&createdAt, &address, &userAgent, &lastSeenAt, &m.Factors,
	}, func() error {
		// A row without created_at holds a factor record only: the
		// session was made without an origin.
		m.HasMetadata = createdAt.Valid
		m.CreatedAt, m.LastSeenAt = timeOf(createdAt), timeOf(lastSeenAt)
		m.ClientAddress, m.UserAgent = textOf(address), textOf(userAgent)
		list = append(list, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// DeleteUserSession implements DeviceAdapter with one DELETE that names
// both the session and its user: another user's session is no row, and
// stays.
func (s *Store) DeleteUserSession(ctx context.Context, userID, sessionID string) error {
	if !findable(userID) || !findable(sessionID) {
		return ErrInvalidSessionID
	}
	return s.audited(ctx, func(s *Store) error {
		n, err := s.queries.DeleteUserSession(ctx, dbgen.DeleteUserSessionParams{SessionID: sessionID, UserID: userID})
		return changedOne(n, err, ErrInvalidSessionID)
	})
}

// DeleteOtherUserSessions implements DeviceAdapter in one DELETE.
func (s *Store) DeleteOtherUserSessions(ctx context.Context, userID, keepSessionID string) (int64, error) {
	if !findable(userID) {
		return 0, nil
	}
	return auditedValue(ctx, s, func(s *Store) (int64, error) {
		var n int64
		var err error
		if findable(keepSessionID) {
			n, err = s.queries.DeleteOtherUserSessions(ctx, dbgen.DeleteOtherUserSessionsParams{UserID: userID, KeepSessionID: keepSessionID})
		} else {
			// No session has that id (and PostgreSQL could not compare
			// with text it cannot hold): every session is another.
			n, err = s.queries.DeleteAllUserSessions(ctx, userID)
		}
		return n, interpretError(err)
	})
}

// RecordSessionsSeen implements DeviceAdapter in one UPDATE over the
// whole batch. It ignores an audit event in ctx: a use is no change worth
// one. An id no session could have is skipped, as a gone session is; a
// time no storage can hold refuses the batch (ErrInvalidInput).
func (s *Store) RecordSessionsSeen(ctx context.Context, seen []SessionSeen) error {
	ids := make([]string, 0, len(seen))
	times := make([]pgtype.Timestamptz, 0, len(seen))
	for _, use := range seen {
		if err := input.Time("session seen time", use.At); err != nil {
			return err
		}
		if findable(use.SessionID) {
			ids = append(ids, use.SessionID)
			times = append(times, timestamptz(use.At))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return interpretError(s.queries.RecordSessionsSeen(ctx, dbgen.RecordSessionsSeenParams{SessionIds: ids, SeenAt: times}))
}
