// Package auth is Lucia v1's authentication core in Go: users with
// password keys, sessions with active and idle expiry and renewal, password
// hashes interchangeable with Lucia v1's scrypt hashes, and single-use
// keys. It works on any luciapg.Adapter: the PostgreSQL Store
// (luciapg.New) in production, memadapter in applications' unit tests.
//
// A Go service using this package and a JavaScript app using Lucia v1 can
// share one database: sessions and password hashes created by either side
// work on the other, because both write the same rows in the same formats.
//
// # Users and keys
//
// A user is a row of auth_user with the application's attribute columns.
// A key is a way to authenticate as a user, with the id
// "providerID:providerUserID" (for example "email:ada@example.com" or
// "github:1234") and an optional password hash. CreateUser makes a user
// and, optionally, its primary key in one atomic adapter call; CreateKey
// adds more keys, persistent or single-use (deleted by their first
// successful UseKey, or by UseKey after their expiry). UseKey checks a
// password and returns the key, whose UserID is the user to open a
// session for.
//
// Passwords are hashed before any adapter call and verified before any
// write, so no database connection is held while scrypt runs (tens of
// milliseconds by design).
//
// # Sessions
//
// CreateSession opens a session: 40 random characters of a-z A-Z 0-9,
// active for Config.ActivePeriod (24 hours) and then idle for
// Config.IdlePeriod (14 days). ValidateSession and ValidateSessionUser
// check a session id presented by a client:
//
//   - active (now ≤ active expiry): returned as it is;
//   - idle (now ≤ idle expiry): renewed — a new session with a new id is
//     returned with Fresh set, and the client must be given its id; the
//     old session is left until its own idle expiry (see below);
//   - dead, unknown, or of the wrong length: luciapg.ErrInvalidSessionID
//     (a dead session is deleted; an id of the wrong length is refused
//     without calling the adapter).
//
// ValidateSessionUser reads the session and its user in one adapter call,
// one round trip for the Store.
//
// # Deviations from Lucia v1
//
// Each is deliberate:
//
//   - Renewal leaves the old session in place until its own idle expiry,
//     as v1 does, rather than deleting it: a page's parallel requests that
//     still carry the old cookie would otherwise be logged out, and the
//     middleware would clear the cookie the renewal just set. Call
//     InvalidateSession to end the old one at once.
//   - Dead sessions are cleaned up when a session is renewed (and by
//     DeleteDeadUserSessions). v1's default autoDatabaseCleanup also did it
//     on every CreateSession and GetAllUserSessions; here creating a
//     session is one write and listing sessions writes nothing.
//   - UseKey refuses a password given for a key that has none (v1 ignored
//     it, letting a caller believe a password had been checked).
//   - VerifyPassword NFKC-normalizes the password, as HashPassword does (v1
//     normalized only when hashing, so passwords that NFKC changes could
//     never log in). Legacy hashes, which may predate normalization, are
//     checked against both forms.
//   - A single-use key is consumed with luciapg's ConsumeKey, a delete that
//     reports whether it deleted the row: of concurrent UseKey calls on one
//     key exactly one succeeds (v1's delete could not tell, so two could).
//   - A malformed stored hash is an error (ErrMalformedHash), not a wrong
//     password, and a provider id that is empty or contains ':' (which
//     would make the key id ambiguous), or an empty provider user id, is
//     refused with luciapg.ErrInvalidInput.
//   - GetAllUserSessions and GetAllUserKeys check that the user exists only
//     when the list is empty, saving v1's extra read otherwise.
//
// The HTTP glue — the session cookie, a validating middleware, and CSRF
// protection — is package authhttp.
package auth
