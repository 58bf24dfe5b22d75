package luciapg

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg/internal/connerr"
	"github.com/luciapg/luciapg/internal/input"
)

// Error is a known adapter failure, identified by its Lucia error code (or,
// for luciapg's additions, a LUCIAPG_ code). Compare with errors.Is against
// the sentinel values below.
type Error struct {
	code string
	// column is ErrDuplicateAttribute's column; "" for every other code.
	column string
	// cause is the database's error behind ErrDuplicateAttribute, so that
	// errors.As(err, **pgconn.PgError) still finds it; nil otherwise.
	cause error
}

// Code returns the error code, such as "AUTH_INVALID_USER_ID".
func (e *Error) Code() string { return e.code }

// Column returns, for ErrDuplicateAttribute, the UNIQUE attribute column
// whose value another user already has (several, comma-separated, for a
// constraint over several columns); "" for every other error. When
// PostgreSQL does not report the columns (a role that may not read them),
// it is the constraint's name.
func (e *Error) Column() string { return e.column }

// Error returns the error code, as Lucia's own errors do, followed by the
// column for ErrDuplicateAttribute. It never holds a value.
func (e *Error) Error() string {
	if e.column != "" {
		return e.code + " (column " + e.column + ")"
	}
	return e.code
}

// Unwrap returns the database's error behind an ErrDuplicateAttribute
// returned by the Store, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrDuplicateAttribute) holds whatever the column.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code == e.code
}

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
	// ErrDuplicateAttribute: SetUser or UpdateUserAttributes with a value
	// of a UNIQUE attribute column (an email, a username) that another
	// user already has. The returned *Error's Column names the column; the
	// value is never in the error. A luciapg addition: Lucia v1 passes the
	// database's error through.
	ErrDuplicateAttribute = &Error{code: "LUCIAPG_DUPLICATE_ATTRIBUTE"}
	// ErrKeyChanged: SetSessionForKey found the key gone, or holding
	// another password hash than the one the login checked: a password
	// change or reset came in between, and no session was written. A
	// luciapg addition.
	ErrKeyChanged = &Error{code: "LUCIAPG_KEY_CHANGED"}

	// ErrFactorNotFound: the user has no such second factor (authenticator
	// app, unused recovery code, passkey). A luciapg addition, as are the
	// errors below (see FactorAdapter).
	ErrFactorNotFound = &Error{code: "LUCIAPG_FACTOR_NOT_FOUND"}
	// ErrFactorExists: SetTOTP for a user with a confirmed authenticator
	// app, SetPasskey with a credential id already registered, or a
	// ceremony, pending login or user handle whose id another already has.
	ErrFactorExists = &Error{code: "LUCIAPG_FACTOR_EXISTS"}
	// ErrFactorReplayed: a one-time code of a time step already used, or a
	// passkey's counter changed by a concurrent use.
	ErrFactorReplayed = &Error{code: "LUCIAPG_FACTOR_REPLAYED"}
	// ErrChallengeNotFound: no such WebAuthn ceremony, or it expired or was
	// already used.
	ErrChallengeNotFound = &Error{code: "LUCIAPG_CHALLENGE_NOT_FOUND"}
	// ErrPendingLoginNotFound: no such pending login, or it expired or was
	// already completed.
	ErrPendingLoginNotFound = &Error{code: "LUCIAPG_PENDING_LOGIN_NOT_FOUND"}
	// ErrEmailChangeNotFound: the user has no pending email change with
	// that token, or it expired or was already confirmed.
	ErrEmailChangeNotFound = &Error{code: "LUCIAPG_EMAIL_CHANGE_NOT_FOUND"}
)

// ErrInvalidInput reports a value refused before it reaches the database:
// an empty id or one longer than MaxIDBytes, text PostgreSQL cannot store (a
// NUL byte or invalid UTF-8, in an id, a password hash or a string attribute
// value), an attribute name that cannot name a column, or a key given to
// SetUser for another user. The wrapping error names the field, never its value.
var ErrInvalidInput = input.ErrInvalidInput

// ErrInvalidConfig reports a configuration a constructor refuses: a
// negative duration or size, bounds that contradict each other, a missing
// required field. Every luciapg constructor that takes a config (NewJanitor,
// sessioncache.New, replica.New, auth.New, …) wraps it, with a message
// naming the field; none silently clamps a value. ThrottlePolicy.Validate
// wraps it too.
var ErrInvalidConfig = errors.New("luciapg: invalid configuration")

// ErrNotMigrated reports a database without luciapg's tables (or one of
// them): the wrapping error names the missing table or function and says to
// run Migrate or the CLI's `luciapg migrate up`. The database's own error
// stays in the chain, for errors.As.
var ErrNotMigrated = errors.New("luciapg: the database lacks luciapg's tables")

// SQLSTATE codes the store recognises.
const (
	sqlstateUniqueViolation     = "23505"
	sqlstateForeignKeyViolation = "23503"
	sqlstateDeadlock            = "40P01"
	sqlstateUndefinedTable      = "42P01"
	sqlstateUndefinedFunction   = "42883"
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
// UNIQUE attribute column's: ErrDuplicateAttribute, with the column.
//
// A missing table or function is a database luciapg never migrated:
// ErrNotMigrated, naming it.
func interpretError(err error) error {
	// A pool connects at its first query: pgx's message for a failed
	// connection quotes the host, which can hold part of a password that
	// was not percent-encoded. Explained, it says what to do and quotes
	// nothing of the kind.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return connerr.Explain(err)
	}
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
		case "auth_user":
			return duplicateAttribute(uniqueColumns(pgErr), err)
		case "luciapg_passkey", "luciapg_passkey_user", "luciapg_webauthn_challenge", "luciapg_pending_login":
			// luciapg's own tables, whose unique keys are a credential id, a
			// user handle, a ceremony's or pending login's id: the one the
			// caller gave is taken. The others' writes never collide (they
			// upsert, or replace under a lock).
			return ErrFactorExists
		}
	case sqlstateForeignKeyViolation:
		// PostgreSQL reports a foreign-key violation on the referencing
		// table, the one that owns the constraint. Lucia's auth_session
		// and auth_key have one foreign key each, user_id to auth_user, so
		// there it means "no such user". A violation reported on any other
		// table (an application's table referencing a user or session
		// being deleted, an attribute column referencing another table)
		// is not the caller's user id and passes through.
		//
		// luciapg's own tables reference the user, and luciapg_session
		// also the session: a violation there means the session is gone
		// (its user could not be, without its sessions).
		switch pgErr.TableName {
		case "auth_session", "auth_key", "luciapg_totp", "luciapg_recovery_code", "luciapg_passkey",
			"luciapg_passkey_user", "luciapg_webauthn_challenge", "luciapg_pending_login", "luciapg_email_change":
			return ErrInvalidUserID
		case "luciapg_session":
			return ErrInvalidSessionID
		}
	case sqlstateUndefinedTable, sqlstateUndefinedFunction:
		return &notMigratedError{missing: quotedName(pgErr.Message), err: err}
	}
	return err
}

// notMigratedError is ErrNotMigrated with the database's error.
type notMigratedError struct {
	missing string // the table or function, "" when the message did not say
	err     error
}

func (e *notMigratedError) Error() string {
	what := "a table or function luciapg needs"
	if e.missing != "" {
		what = e.missing
	}
	return "luciapg: " + what + " does not exist in this database: apply luciapg's migrations " +
		"(luciapg.Migrate, or `luciapg migrate up` with the CLI)"
}

func (e *notMigratedError) Unwrap() []error { return []error{ErrNotMigrated, e.err} }

// quotedName returns the first double-quoted name in a server message,
// such as auth_session in `relation "auth_session" does not exist`, or ""
// (a localised message may quote differently).
func quotedName(message string) string {
	_, rest, ok := strings.Cut(message, `"`)
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return ""
	}
	return name
}

// uniqueColumns returns the columns of a unique violation from its DETAIL,
// whose "(columns)=(values)" part PostgreSQL never translates ("Key
// (email)=(…) already exists."), or, when the server left DETAIL out (the
// role may not read the columns), the constraint's name. The values are
// never read.
func uniqueColumns(pgErr *pgconn.PgError) string {
	if _, rest, ok := strings.Cut(pgErr.Detail, "("); ok {
		if columns, _, ok := strings.Cut(rest, ")=("); ok && columns != "" {
			return columns
		}
	}
	return pgErr.ConstraintName
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

// duplicateAttribute is ErrDuplicateAttribute for column, wrapping cause
// (the database's error; nil from memadapter).
func duplicateAttribute(column string, cause error) *Error {
	return &Error{code: ErrDuplicateAttribute.code, column: column, cause: cause}
}

func init() {
	input.DuplicateAttribute = func(column string) error { return duplicateAttribute(column, nil) }
}
