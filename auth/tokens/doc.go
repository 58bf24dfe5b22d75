// Package tokens is @lucia-auth/tokens 1.0.2 in Go: email-verification and
// password-reset tokens, and one-time codes, stored as single-use keys
// without a password in Lucia v1's auth_key table, exactly as the
// JavaScript package stores them. A Go service and a Lucia v1 app sharing
// a database can each validate what the other issued (interop's tests
// prove it against the real npm packages).
//
// # Two kinds
//
// IDTokens (idToken) identify their user by themselves: the key id is
// "NAME:TOKEN", the token 43 random characters of a-z, A-Z and 0-9 by
// default, so it goes in a link on its own. PasswordTokens (passwordToken)
// are short codes checked together with their user's id: the key id is
// "NAME:USERID.CODE", the code 8 random digits by default. Both expire
// after their configured lifetime (a token's expiry is stored in
// milliseconds; @lucia-auth/tokens takes the lifetime in seconds, Go as a
// time.Duration) and are used up by their first Validate.
//
// Validate goes through auth.(*Auth).UsePasswordlessKey: the key is
// consumed atomically (of concurrent uses one succeeds), an expired one is
// deleted and refused with ErrExpiredToken, and the attempt is counted by
// the auth core's throttle, per key and per client address
// (auth.WithClientAddress).
//
// # Guessing
//
// Each guess at a token names a different key, so the core's per-key count
// never sees a guesser twice. For a 43-character ID token guessing is
// hopeless anyway, and the per-address count bounds each guesser's rate.
// An 8-digit code is another matter: 10^8 values, which an unthrottled
// guesser with many addresses could exhaust. PasswordTokens therefore
// counts every Validate per user ("tokens:NAME:USERID" in the adapter's
// luciapg.AttemptThrottle) before any code is looked at: after 5 wrong
// codes each attempt waits twice as long as the one before, up to 15
// minutes, so a guesser gets about a hundred tries a day at one user's
// codes. The price is that such a guesser also delays the user's own
// attempts; a right code, once let through, resets the count.
//
// # Email changes
//
// EmailChanges changes a user's address only once the new one has proven
// it receives mail: Begin (in sudo mode) stores the pending change, with
// a SHA-256 of an ID token (EmailChangeTokenName) for the link to the new
// address, and notifies the old one; Confirm with the token applies it,
// once and before it expires, recording the change in the audit log in
// the update's transaction and notifying the old address again.
//
// # Deviations from @lucia-auth/tokens
//
//   - Validate of a password token is throttled per user, as above (the
//     JavaScript package throttles nothing, and Lucia v1 neither).
//   - IDTokens.UserTokens of an unknown user is ErrInvalidUserID, as
//     PasswordTokens' is (idToken let Lucia's AUTH_INVALID_USER_ID through).
//   - PasswordTokens.UserTokens cuts the user's id off the key id rather
//     than splitting at the first '.', which misread a user id containing
//     one.
//   - A token or code that could not be a stored key id (empty, over
//     luciapg.MaxIDBytes, NUL or invalid UTF-8) is ErrInvalidToken without
//     a round trip; Invalidate of one does nothing.
//   - Token hides its value from fmt and log/slog.
package tokens
