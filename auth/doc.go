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
// "providerID:providerUserID" (for example "username:ada" or
// "github:1234") and an optional password hash. CreateUser makes a user
// and, optionally, its primary key in one atomic adapter call; CreateKey
// adds more keys, persistent or single-use (deleted by their first
// successful use, or by a use after their expiry).
//
// A key with a password is used with UseKey, which checks the password; a
// key without one (an OAuth account, a magic link's token) with
// UsePasswordlessKey. Neither opens the other kind: a password login can
// never succeed on a passwordless key, and an empty password is never a
// valid password. Both return the key, whose UserID is the user to open a
// session for.
//
// # Passwords and guessing
//
// Passwords are hashed before any adapter call and verified before any
// write, so no database connection is held while scrypt runs (tens of
// milliseconds and 32 MiB by design). Config.MaxPasswordBytes (1,024)
// bounds a password's length and Config.MaxConcurrentHashes (GOMAXPROCS)
// the scrypt runs in progress at once, so a burst of sign-ups or logins
// cannot take unbounded memory. Every refusal of UseKey costs one
// verification, against a dummy hash when the key is missing or has no
// password, so its timing does not tell which accounts exist.
//
// UseKey and UsePasswordlessKey count each attempt, per key and per client
// address (WithClientAddress; authhttp's middleware sets it), in the
// adapter's luciapg.AttemptThrottle, so every instance sharing the database
// sees the same count. After the free attempts (Config.KeyThrottle: 5 per
// key; Config.AddressThrottle: 50 per address) each attempt waits twice as
// long as the one before, from 1 s up to 15 min; a waiting attempt gets a
// *TooManyAttemptsError (errors.Is ErrTooManyAttempts) and is not checked
// or hashed at all. A success forgets the key's count.
//
// # Second factors
//
// With a luciapg.FactorAdapter (every luciapg adapter is one), users can
// add an authenticator app (BeginTOTPEnrollment; its secret sealed with
// Config.SecretKeys) and recovery codes (GenerateRecoveryCodes). Login then
// refuses them (ErrSecondFactorRequired); BeginLogin returns a pending
// login, bound to the client and single-use, that CompleteLoginWithTOTP or
// CompleteLoginWithRecoveryCode turns into a session. Each session records
// which factors made it: one without a record (made by a Lucia v1 app, or
// by CreateSession) counts as password-only, so RequireSecondFactor
// refuses it for such a user until it re-authenticates with a code.
// RequireSudo guards sensitive actions: it passes for Config.SudoPeriod
// after the user last proved who they are (Reauthenticate…). Codes are
// counted per user (Config.SecondFactorThrottle). See
// docs/second-factors.md.
//
// # Sessions
//
// CreateSession opens a session: 40 random characters of a-z A-Z 0-9,
// active for Config.ActivePeriod (24 hours) and then idle for
// Config.IdlePeriod (14 days). ValidateSession and ValidateSessionUser
// check a session id presented by a client:
//
//   - active (now ≤ active expiry): returned as it is;
//   - idle (now ≤ idle expiry): renewed in place — the same session, its
//     expiries moved on in one adapter call (ExtendSession), returned with
//     Fresh set: the client must be sent its cookie again with the new
//     expiry;
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
//   - An idle session is renewed in place (Lucia v3's choice), not
//     replaced by a new one. A new id protected nothing — whoever holds
//     the old id can renew it too — while it let one idle cookie mint a
//     session per request and let a logout miss the session the browser
//     sent. Lucia v1 reads the extended row as an active session, so the
//     two still interoperate both ways.
//   - Renewal reads none of the user's other sessions. Dead sessions are
//     purged by the Store's janitor (or DeleteDeadUserSessions); v1's
//     default autoDatabaseCleanup did it on every CreateSession,
//     GetAllUserSessions and renewal.
//   - UseKey refuses a key without a password, whatever password is given,
//     and refuses an empty password (v1 accepted both); such keys are for
//     UsePasswordlessKey, which v1 did not have.
//   - Password length, concurrent hashing and guessing are bounded, and
//     refusals spend a hash verification (v1 did none of this).
//   - VerifyPassword NFKC-normalizes the password, as HashPassword does (v1
//     normalized only when hashing, so passwords that NFKC changes could
//     never log in). Legacy hashes, which may predate normalization, are
//     checked against both forms.
//   - A single-use key is consumed with luciapg's ConsumeKey, a delete that
//     reports whether it deleted the row: of concurrent uses of one key
//     exactly one succeeds (v1's delete could not tell, so two could).
//   - A malformed stored hash is an error (ErrMalformedHash), not a wrong
//     password, and a provider id that is empty or contains ':' (which
//     would make the key id ambiguous), or an empty provider user id, is
//     refused with luciapg.ErrInvalidInput.
//   - GetAllUserSessions and GetAllUserKeys check that the user exists only
//     when the list is empty, saving v1's extra read otherwise.
//
// # Devices, audit log and notices
//
// Every session the core makes records its origin beside Lucia's row
// (luciapg.WithSessionOrigin): when, the client's address as the
// throttles key it (AddressKey: an IPv6 address as its /64), and its user
// agent (WithClient; cleaned of control characters and invalid UTF-8, and
// cut to luciapg.MaxUserAgentBytes). Validations record each session's
// last use in memory, at most once per Config.LastSeenInterval, and write
// them in batches in the background: a validation the session cache
// answers still costs no round trip. ListSessions shows a user where they
// are signed in; RevokeSession ends one of their sessions by its label
// (SessionLabel, never the id), and RevokeOtherSessions all but the
// current one. A session a Lucia v1 app made has no origin, and is listed
// as such.
//
// With a luciapg.AuditAdapter, each action records an event in the
// transaction of the write that makes the change (luciapg.WithAuditEvent):
// sign-up, login (with its factors), logout, a session revoked, a
// password changed, a key linked or unlinked, a second factor added or
// removed; a refused login (wrong password, unknown key, wrong code,
// throttled) is recorded on its own. Events name a session by its label
// and hold no secret. AuditContext gives an application's own changes an
// event (a password reset completed); AuditEvents reads the log, newest
// first.
//
// Config.Notifier sends security notices — a sign-in from a client the
// user has not signed in from, a password changed, a second factor
// removed (auth/tokens' EmailChanges adds the email ones) — in the
// background after the change committed: a Notifier that fails, hangs or
// panics never delays or fails the action.
//
// The HTTP glue — the session cookie, a validating middleware that also
// records the client's address and user agent, the device and activity
// pages' calls, and CSRF protection — is package authhttp.
package auth
