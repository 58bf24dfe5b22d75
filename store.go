package luciapg

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// DB is what a Store runs its statements on. *pgxpool.Pool, *pgx.Conn and
// pgx.Tx all satisfy it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	// Begin starts a transaction, or a savepoint when DB is itself a
	// transaction.
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store is the PostgreSQL implementation of Adapter, and of
// AttemptThrottle, FactorAdapter, DeviceAdapter, AuditAdapter and
// EmailChangeAdapter in luciapg's own tables. It is safe for concurrent
// use when its DB is (a pool is; a single connection or transaction is
// not).
//
// Its writes honour the records their context carries, in the write's own
// transaction (see store_records.go): an event of WithAuditEvent is
// appended to the audit log by any write of those adapters (but
// ExtendSession, the AttemptThrottle's, RecordSessionsSeen and the
// purges), and a session inserted with WithSessionOrigin gets its
// metadata row.
type Store struct {
	db      DB
	queries *dbgen.Queries
}

var _ Adapter = (*Store)(nil)

// New returns a Store that runs every statement on db. Given a pgx.Tx,
// everything happens inside that transaction and the caller decides whether
// to commit.
func New(db DB) *Store {
	return &Store{db: db, queries: dbgen.New(db)}
}

// GetUser implements UserAdapter.
func (s *Store) GetUser(ctx context.Context, userID string) (User, error) {
	if !findable(userID) {
		return User{}, ErrInvalidUserID
	}
	return s.queryUser(ctx, ErrInvalidUserID, selectUserSQL, userID)
}

// SetUser implements UserAdapter. The user and key go in one statement, so
// a failure leaves neither. A key whose UserID is empty is given the user's
// id; a key for another user, or a primary key with an expiry, is refused
// with ErrInvalidInput.
func (s *Store) SetUser(ctx context.Context, user User, key *Key) (User, error) {
	if err := input.UserID(user.ID); err != nil {
		return User{}, err
	}
	names, err := attributeNames(user.Attributes)
	if err != nil {
		return User{}, err
	}
	if key == nil {
		return auditedValue(ctx, s, func(s *Store) (User, error) {
			return s.queryUser(ctx, ErrDuplicateUserID, insertUserSQL(names, false), attributeArgs(user.ID, names, user.Attributes, 0)...)
		})
	}
	k := *key
	if k.UserID == "" {
		k.UserID = user.ID
	}
	if k.UserID != user.ID {
		return User{}, fmt.Errorf("%w: the key's user id differs from the user's id", ErrInvalidInput)
	}
	if err := checkKey(k); err != nil {
		return User{}, err
	}
	args := attributeArgs(user.ID, names, user.Attributes, 4)
	args = append(args, k.ID, k.PrimaryKey, k.HashedPassword, k.Expires)
	return auditedValue(ctx, s, func(s *Store) (User, error) {
		return s.queryUser(ctx, ErrDuplicateUserID, insertUserSQL(names, true), args...)
	})
}

// UpdateUserAttributes implements UserAdapter.
func (s *Store) UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (User, error) {
	names, err := attributeNames(attributes)
	if err != nil {
		return User{}, err
	}
	if len(names) == 0 {
		return s.GetUser(ctx, userID)
	}
	if !findable(userID) {
		return User{}, ErrInvalidUserID
	}
	return auditedValue(ctx, s, func(s *Store) (User, error) {
		return s.queryUser(ctx, ErrInvalidUserID, updateUserSQL(names), attributeArgs(userID, names, attributes, 0)...)
	})
}

// DeleteUser implements UserAdapter. It locks the user row first, so a
// session or key inserted concurrently either lands before the delete (and
// is deleted with the user) or fails with ErrInvalidUserID after it.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	if !findable(userID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return s.inTx(ctx, func(q *dbgen.Queries) error {
			if err := q.LockUser(ctx, userID); err != nil {
				return err
			}
			return q.DeleteUserWithSessionsAndKeys(ctx, userID)
		})
	})
}

// GetKey implements UserAdapter.
func (s *Store) GetKey(ctx context.Context, keyID string) (Key, error) {
	if !findable(keyID) {
		return Key{}, ErrInvalidKeyID
	}
	row, err := s.queries.GetKey(ctx, keyID)
	if err != nil {
		return Key{}, rowError(err, ErrInvalidKeyID)
	}
	return keyFromRow(row), nil
}

// GetKeysByUserID implements UserAdapter, scanning with collectRows (see
// list_queries.go).
func (s *Store) GetKeysByUserID(ctx context.Context, userID string) ([]Key, error) {
	if !findable(userID) {
		return []Key{}, nil
	}
	var key Key
	keys, err := collectRows(ctx, s.db, &key, []any{&key.ID, &key.UserID, &key.PrimaryKey, &key.HashedPassword, &key.Expires},
		dbgen.GetKeysByUserID, userID)
	return keys, interpretError(err)
}

// SetKey implements UserAdapter.
func (s *Store) SetKey(ctx context.Context, key Key) error {
	if err := checkKey(key); err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.InsertKey(ctx, insertKeyParams(key)))
	})
}

// UpdateKeyPassword implements UserAdapter.
func (s *Store) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) (Key, error) {
	if err := input.HashedPassword(hashedPassword); err != nil {
		return Key{}, err
	}
	if !findable(keyID) {
		return Key{}, ErrInvalidKeyID
	}
	return auditedValue(ctx, s, func(s *Store) (Key, error) {
		row, err := s.queries.UpdateKeyPassword(ctx, dbgen.UpdateKeyPasswordParams{ID: keyID, HashedPassword: hashedPassword})
		if err != nil {
			return Key{}, rowError(err, ErrInvalidKeyID)
		}
		return keyFromRow(row), nil
	})
}

// DeleteNonPrimaryKey implements UserAdapter.
func (s *Store) DeleteNonPrimaryKey(ctx context.Context, keyID string) error {
	if !findable(keyID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.DeleteNonPrimaryKey(ctx, keyID))
	})
}

// ConsumeKey implements UserAdapter with a single DELETE ... RETURNING, so
// of several concurrent calls for one key exactly one gets the row.
func (s *Store) ConsumeKey(ctx context.Context, keyID string) (Key, error) {
	if !findable(keyID) {
		return Key{}, ErrInvalidKeyID
	}
	return auditedValue(ctx, s, func(s *Store) (Key, error) {
		row, err := s.queries.ConsumeKey(ctx, keyID)
		if err != nil {
			return Key{}, rowError(err, ErrInvalidKeyID)
		}
		return keyFromRow(row), nil
	})
}

// DeleteKeysByUserID implements UserAdapter.
func (s *Store) DeleteKeysByUserID(ctx context.Context, userID string) error {
	if !findable(userID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.DeleteKeysByUserID(ctx, userID))
	})
}

// GetSession implements SessionAdapter.
func (s *Store) GetSession(ctx context.Context, sessionID string) (Session, error) {
	if !findable(sessionID) {
		return Session{}, ErrInvalidSessionID
	}
	row, err := s.queries.GetSession(ctx, sessionID)
	if err != nil {
		return Session{}, rowError(err, ErrInvalidSessionID)
	}
	return sessionFromRow(row), nil
}

// GetSessionsByUserID implements SessionAdapter, scanning with collectRows
// (see list_queries.go).
func (s *Store) GetSessionsByUserID(ctx context.Context, userID string) ([]Session, error) {
	if !findable(userID) {
		return []Session{}, nil
	}
	var session Session
	sessions, err := collectRows(ctx, s.db, &session, []any{&session.ID, &session.UserID, &session.ActiveExpires, &session.IdleExpires},
		dbgen.GetSessionsByUserID, userID)
	return sessions, interpretError(err)
}

// SetSession implements SessionAdapter. With an origin in ctx
// (WithSessionOrigin), the session's metadata row goes in the same
// statement.
func (s *Store) SetSession(ctx context.Context, session Session) error {
	if err := input.Session(session.ID, session.UserID); err != nil {
		return err
	}
	withRecord, err := sessionInsert(ctx, session)
	if err != nil {
		return err
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(insertSession(ctx, s.queries, session, withRecord))
	})
}

// SetSessionForKey implements SessionAdapter in one transaction: it locks
// the user's row (as the insert's foreign key check would, but first) and
// the key's, compares the key's hash with checkedHash, rehashes, and
// inserts the session. The lock (FOR SHARE, or FOR NO KEY UPDATE to rehash) waits
// for a transaction changing the key and then reads what it committed, so
// a reset that changed the key first is always seen: either before the
// insert (ErrKeyChanged) or after it, when its delete of the user's
// sessions comes after the insert's commit. With an origin in ctx, the
// insert writes the session's metadata row too.
func (s *Store) SetSessionForKey(ctx context.Context, session Session, keyID, checkedHash string, rehash *string) error {
	if err := input.Session(session.ID, session.UserID); err != nil {
		return err
	}
	if err := input.HashedPassword(rehash); err != nil {
		return err
	}
	withRecord, err := sessionInsert(ctx, session)
	if err != nil {
		return err
	}
	if !findable(keyID) {
		return ErrKeyChanged
	}
	return s.audited(ctx, func(s *Store) error {
		return s.setSessionForKey(ctx, session, keyID, checkedHash, rehash, withRecord)
	})
}

func (s *Store) setSessionForKey(ctx context.Context, session Session, keyID, checkedHash string, rehash *string, withRecord *dbgen.InsertSessionWithRecordParams) error {
	return s.inTx(ctx, func(q *dbgen.Queries) error {
		if _, err := q.LockUserForSession(ctx, session.UserID); err != nil {
			return rowError(err, ErrKeyChanged)
		}
		var key dbgen.LockKeyPasswordRow
		var err error
		if rehash == nil {
			key, err = q.LockKeyPassword(ctx, keyID)
		} else {
			var row dbgen.LockKeyPasswordForRehashRow
			row, err = q.LockKeyPasswordForRehash(ctx, keyID)
			key = dbgen.LockKeyPasswordRow(row)
		}
		if errors.Is(err, pgx.ErrNoRows) || err == nil && (key.HashedPassword == nil || *key.HashedPassword != checkedHash) {
			return ErrKeyChanged
		}
		if err != nil {
			return err
		}
		if key.UserID != session.UserID {
			return input.ErrSessionNotKeyUser
		}
		if rehash != nil {
			if _, err := q.UpdateKeyPassword(ctx, dbgen.UpdateKeyPasswordParams{ID: keyID, HashedPassword: rehash}); err != nil {
				return err
			}
		}
		return insertSession(ctx, q, session, withRecord)
	})
}

// ExtendSession implements SessionAdapter with one UPDATE ... RETURNING
// that changes only the two expiry columns.
func (s *Store) ExtendSession(ctx context.Context, sessionID string, activeExpires, idleExpires int64) (Session, error) {
	if !findable(sessionID) {
		return Session{}, ErrInvalidSessionID
	}
	row, err := s.queries.ExtendSession(ctx, dbgen.ExtendSessionParams{
		ID:            sessionID,
		ActiveExpires: activeExpires,
		IdleExpires:   idleExpires,
	})
	if err != nil {
		return Session{}, rowError(err, ErrInvalidSessionID)
	}
	return sessionFromRow(row), nil
}

// DeleteSession implements SessionAdapter.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	if !findable(sessionID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.DeleteSession(ctx, sessionID))
	})
}

// DeleteSessionsByUserID implements SessionAdapter.
func (s *Store) DeleteSessionsByUserID(ctx context.Context, userID string) error {
	if !findable(userID) {
		return nil
	}
	return s.audited(ctx, func(s *Store) error {
		return interpretError(s.queries.DeleteSessionsByUserID(ctx, userID))
	})
}

// GetSessionAndUser implements Adapter with one statement joining the
// session to its user.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionID string) (Session, User, error) {
	if !findable(sessionID) {
		return Session{}, User{}, ErrInvalidSessionID
	}
	values, user, err := s.queryRowWithUser(ctx, ErrInvalidSessionID, sessionColumns, selectSessionAndUserSQL, sessionID)
	if err != nil {
		return Session{}, User{}, err
	}
	// The first four columns are auth_session's, whose types the schema fixes.
	session := Session{UserID: user.ID}
	session.ID, _ = values[0].(string)
	session.ActiveExpires, _ = values[2].(int64)
	session.IdleExpires, _ = values[3].(int64)
	return session, user, nil
}

// rowError is the error of a single-row query: notFound when there was no
// row, the interpreted database error otherwise.
func rowError(err, notFound error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	return interpretError(err)
}
