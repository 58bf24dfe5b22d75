package auth

// The second-factor failures. None of them carries a code, token, secret or
// id.
var (
	// ErrSecondFactorRequired: the user has a second factor and the
	// session (or the login) has not proven one. Login returns it, writing
	// nothing, for such a user: use BeginLogin.
	ErrSecondFactorRequired = &Error{code: "LUCIAPG_SECOND_FACTOR_REQUIRED"}
	// ErrSudoRequired: a sensitive action needs the user to prove who they
	// are again (Config.SudoPeriod).
	ErrSudoRequired = &Error{code: "LUCIAPG_SUDO_REQUIRED"}
	// ErrInvalidCode: a wrong, malformed or already used one-time code or
	// recovery code.
	ErrInvalidCode = &Error{code: "LUCIAPG_INVALID_CODE"}
	// ErrInvalidPendingLogin: no such pending login, or it expired, was
	// already completed, or is presented by another client than the one
	// that began it.
	ErrInvalidPendingLogin = &Error{code: "LUCIAPG_INVALID_PENDING_LOGIN"}
	// ErrSecondFactorsUnavailable: the adapter does not store second
	// factors (it is no luciapg.FactorAdapter), or what the call needs is
	// not configured (Config.SecretKeys for an authenticator app); the
	// wrapping error says which.
	ErrSecondFactorsUnavailable = &Error{code: "LUCIAPG_SECOND_FACTORS_UNAVAILABLE"}
)
