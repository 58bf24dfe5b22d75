package tokens

// Error is a failure of a token operation, identified by the error code of
// @lucia-auth/tokens (its LuciaTokenError's message). Compare with
// errors.Is against the values below. Throttling comes through as the auth
// core's *auth.TooManyAttemptsError (errors.Is auth.ErrTooManyAttempts),
// and storage failures as the adapter's errors.
type Error struct {
	code string
}

// Code returns the error code, such as "INVALID_TOKEN".
func (e *Error) Code() string { return e.code }

// Error returns the error code, as LuciaTokenError's message does. It never
// carries the token.
func (e *Error) Error() string { return e.code }

// The failures of @lucia-auth/tokens, with its codes.
var (
	// ErrInvalidToken: Validate of a token (or code) that does not exist,
	// was already used or invalidated, belongs to another user, or names a
	// key that is not a single-use key without a password.
	ErrInvalidToken = &Error{code: "INVALID_TOKEN"}
	// ErrExpiredToken: Validate of a token past its expiry. The token has
	// been deleted, as a used one is.
	ErrExpiredToken = &Error{code: "EXPIRED_TOKEN"}
	// ErrInvalidUserID: Issue or UserTokens for a user that does not exist.
	ErrInvalidUserID = &Error{code: "INVALID_USER_ID"}
	// ErrDuplicateToken: Issue made a token the user (or, for ID tokens,
	// anyone) already has. For the default 43-character ID tokens this
	// does not happen; for 8-digit codes it is one chance in 100 million
	// per code the user already holds. Issue again.
	ErrDuplicateToken = &Error{code: "DUPLICATE_TOKEN"}
)
