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
)

// interpretError is the one place where database errors become the
// contract's errors. It matches on SQLSTATE plus the table and constraint
// names PostgreSQL reports (never on message or DETAIL text, which may be
// absent or localised). Anything it does not recognise is returned
// unchanged, so errors.As(err, **pgconn.PgError) and
// errors.Is(err, context.Canceled) keep working.
func interpretError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case sqlstateUniqueViolation:
		switch pgErr.ConstraintName {
		case "auth_user_pkey":
			return ErrDuplicateUserID
		case "auth_key_pkey":
			return ErrDuplicateKeyID
		case "auth_session_pkey":
			return ErrDuplicateSessionID
		}
	case sqlstateForeignKeyViolation:
		// Only an insert into a referencing table means "no such user". The
		// same constraint reported on auth_user is a delete of a user that
		// still has rows, which is not the caller's input error.
		switch {
		case pgErr.TableName == "auth_session" && pgErr.ConstraintName == "auth_session_user_id_fkey",
			pgErr.TableName == "auth_key" && pgErr.ConstraintName == "auth_key_user_id_fkey":
			return ErrInvalidUserID
		}
	}
	return err
}
