package luciapg

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// Error is a known adapter failure, identified by its Lucia error code.
// Compare with errors.Is against the sentinel values below.
type Error struct {
	code string
}

// Code returns Lucia's error code, such as "AUTH_INVALID_USER_ID".
func (e *Error) Code() string { return e.code }

// Error returns the Lucia error code, as Lucia's own errors do.
func (e *Error) Error() string { return e.code }

// The known failures of the adapter contract. None of them carries the
// offending value: ids and password hashes stay out of error text.
var (
	// ErrInvalidUserID: no user has this id (GetUser, UpdateUserAttributes),
	// or a session or key names a user that does not exist (SetSession,
	// SetKey).
	ErrInvalidUserID = &Error{code: "AUTH_INVALID_USER_ID"}
	// ErrInvalidSessionID: no session has this id.
	ErrInvalidSessionID = &Error{code: "AUTH_INVALID_SESSION_ID"}
	// ErrInvalidKeyID: no key has this id.
	ErrInvalidKeyID = &Error{code: "AUTH_INVALID_KEY_ID"}
	// ErrDuplicateUserID: SetUser with a user id that is already taken.
	ErrDuplicateUserID = &Error{code: "AUTH_DUPLICATE_USER_ID"}
	// ErrDuplicateKeyID: SetUser or SetKey with a key id that is already
	// taken.
	ErrDuplicateKeyID = &Error{code: "AUTH_DUPLICATE_KEY_ID"}
	// ErrDuplicateSessionID: SetSession with a session id that is already
	// taken.
	ErrDuplicateSessionID = &Error{code: "AUTH_DUPLICATE_SESSION_ID"}
)

// ErrInvalidInput reports a value refused before it reaches the database:
// an empty id or one longer than MaxIDBytes, text PostgreSQL cannot store (a
// NUL byte or invalid UTF-8, in an id, a password hash or a string attribute
// value), an attribute name that cannot name a column, or a key given to
// SetUser for another user. The wrapping error names the field, never its value.
var ErrInvalidInput = errors.New("luciapg: invalid input")

// SQLSTATE codes the store recognises.
const (
	sqlstateUniqueViolation     = "23505"
	sqlstateForeignKeyViolation = "23503"
	sqlstateDeadlock            = "40P01"
	// sqlstateFeatureNotSupported is what PostgreSQL reports for a cached
	// statement whose result type changed ("cached plan must not change
	// result type"): auth_user's columns changed since it was prepared.
	sqlstateFeatureNotSupported = "0A000"
)

// interpretError is the one place where database errors become the
// contract's errors. It matches on SQLSTATE and the table PostgreSQL
// reports, never on message or DETAIL text (which may be absent or
// localised) and never on the constraint's name alone: databases made by
// hand from Lucia's documentation name their constraints as they like.
// Anything it does not recognise is returned unchanged, so
// errors.As(err, **pgconn.PgError) and errors.Is(err, context.Canceled)
// keep working.
//
// A unique violation on auth_user is never the user id's: SetUser inserts
// with ON CONFLICT (id) DO NOTHING and reads "no row" as ErrDuplicateUserID,
// whatever the primary key is called. So one reported on auth_user is a
// UNIQUE attribute column's, the application's own error, and passes
// through.
func interpretError(err error) error {
	pgErr := asPgError(err)
	if pgErr == nil {
		return err
	}
	switch pgErr.Code {
	case sqlstateUniqueViolation:
		// Lucia's auth_key and auth_session have no unique constraint but
		// their primary key (the Store never adds columns to them).
		switch pgErr.TableName {
		case "auth_key":
			return ErrDuplicateKeyID
		case "auth_session":
			return ErrDuplicateSessionID
		}
	case sqlstateForeignKeyViolation:
		// PostgreSQL reports a foreign-key violation on the referencing
		// table, the one that owns the constraint. Lucia's auth_session
		// and auth_key have one foreign key each, user_id to auth_user, so
		// there it means "no such user". A violation reported on any other
		// table (an application's table referencing a user or session
		// being deleted, an attribute column referencing another table)
		// is not the caller's user id and passes through.
		switch pgErr.TableName {
		case "auth_session", "auth_key":
			return ErrInvalidUserID
		}
	}
	return err
}

// isStalePlan reports whether err is PostgreSQL refusing a cached statement
// because the row type it returns changed since it was prepared.
func isStalePlan(err error) bool {
	pgErr := asPgError(err)
	return pgErr != nil && pgErr.Code == sqlstateFeatureNotSupported
}

// isDeadlock reports whether PostgreSQL broke a deadlock by aborting the
// transaction err ended.
func isDeadlock(err error) bool {
	pgErr := asPgError(err)
	return pgErr != nil && pgErr.Code == sqlstateDeadlock
}

// asPgError returns the *pgconn.PgError in err's chain, or nil. Only this
// file looks inside database errors.
func asPgError(err error) *pgconn.PgError {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr
	}
	return nil
}
