package oauth

import (
	"errors"
	"net/url"
	"regexp"
)

// Errors from Callback and Reauthenticate. Each one means nothing was written; none carries a
// token, code, state or verifier.
var (
	// ErrProviderDenied: the provider redirected back with an error (the
	// user declined, error=access_denied). The error names the provider's
	// error code when it is a plain word.
	ErrProviderDenied = errors.New("oauth: the provider refused the sign-in")
	// ErrMissingState: the callback has no state parameter, or the browser
	// sent no state cookie (it expired, or the sign-in was not started
	// here).
	ErrMissingState = errors.New("oauth: no state to check (start the sign-in again)")
	// ErrStateMismatch: the callback's state is not the one in the
	// cookie, or the cookie's signature is not this Flow's
	// (Config.StateKey): a forged or crossed request.
	ErrStateMismatch = errors.New("oauth: state does not match")
	// ErrStateExpired: the state cookie is older than Config.StateTTL.
	ErrStateExpired = errors.New("oauth: state expired (start the sign-in again)")
	// ErrStateReplayed: this state was already used by a callback.
	ErrStateReplayed = errors.New("oauth: state already used")
	// ErrMissingCode: the callback has no code.
	ErrMissingCode = errors.New("oauth: no authorization code in the callback")
	// ErrExchange: the token endpoint refused the code (an invalid, used
	// or expired code, or a wrong PKCE verifier: OAuth's invalid_grant).
	ErrExchange = errors.New("oauth: the provider refused the code")
	// ErrProviderUnavailable: the provider could not be reached or failed
	// (a network error or a 5xx answer).
	ErrProviderUnavailable = errors.New("oauth: the provider is unavailable")
	// ErrUserInfo: the provider's user endpoint gave no usable user id.
	ErrUserInfo = errors.New("oauth: no user id from the provider")
	// ErrLinkedToOtherUser: linking, the provider account's key already
	// belongs to another user.
	ErrLinkedToOtherUser = errors.New("oauth: this provider account is linked to another user")
	// ErrNotLinkedToUser: re-authenticating (Reauthenticate), the provider
	// account that signed in is not linked to the session's user.
	ErrNotLinkedToUser = errors.New("oauth: this provider account is not linked to the signed-in user")
)

// oauthErrorCode matches OAuth error codes (RFC 6749 §5.2: access_denied,
// invalid_grant): only such a word is quoted in an error, never free text
// the provider or an attacker chose.
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

func safeCode(code string) string {
	if oauthErrorCode.MatchString(code) {
		return code
	}
	return "unrecognized"
}

// scrubURLError keeps a *url.Error's operation and cause but drops its
// URL, which for a redirect could carry a code or state.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: "(omitted)", Err: ue.Err}
	}
	return err
}
