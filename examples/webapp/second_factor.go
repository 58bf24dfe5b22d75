package main

// The second step of a login, for a user with a second factor (an
// authenticator app or a passkey).
const (
	// secondStepPath is the page of a login whose password (or provider
	// sign-in) passed and whose second factor is awaited.
	secondStepPath = "/login/second-factor"
	// sessionSecondStepPath is the page of a session that has not proven
	// the user's second factor (one a Lucia v1 app made with the password
	// alone): it upgrades that session.
	sessionSecondStepPath = "/second-factor"
)
