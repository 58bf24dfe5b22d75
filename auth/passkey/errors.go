package passkey

import "fmt"

// Error is a refusal of this package, identified by a code in the style of
// the auth package's errors. Compare with errors.Is against
// ErrInvalidPasskey.
type Error struct {
	code string
}

// Code returns the error's code, such as "LUCIAPG_INVALID_PASSKEY".
func (e *Error) Code() string { return e.code }

// Error returns the code.
func (e *Error) Error() string { return e.code }

// ErrInvalidPasskey: a browser's response that does not prove what the
// ceremony asked for (malformed, a wrong signature, origin or challenge, a
// credential that is not the user's, no user verification where it is
// required, a signature counter that did not increase as a cloned
// authenticator's would not), or a ceremony that is unknown, expired,
// already finished (errors.Is luciapg.ErrChallengeNotFound then too), or
// begun for another purpose or user. The wrapping error says which, in a
// few words of this package's own, never with go-webauthn's text: no
// credential id, challenge, token or user handle is ever in it. Nothing
// was recorded, and the ceremony cannot be finished again: begin another.
var ErrInvalidPasskey = &Error{code: "LUCIAPG_INVALID_PASSKEY"}

// invalid is ErrInvalidPasskey with a reason, which must hold no value
// from the request.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidPasskey, reason)
}
