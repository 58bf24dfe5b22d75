// Package luciapg stores Lucia v1 authentication data — users, keys with
// password hashes, and sessions with active and idle expiries — in
// PostgreSQL, through pgx/v5.
//
// The tables are exactly those of Lucia v1's PostgreSQL adapter (auth_user,
// auth_session, auth_key), so a Go service using luciapg and a JavaScript
// app using Lucia v1 can share one database. [Store] implements Lucia's
// adapter contract ([Adapter]); [Migrate] creates the tables.
//
// Beside Lucia's three tables, luciapg keeps its own
// luciapg_attempt_throttle, never touching Lucia's: [Store.CountAttempt]
// counts failed guesses of a secret per throttle key ([AttemptThrottle]) in
// one atomic statement, so every instance sharing the database sees the
// same count, and [Store.DeleteStaleAttempts] purges the rows that no
// longer matter. [Store.ExtendSession] renews a session in place, changing
// only its two expiry columns.
//
// A Store works on whatever it is given: a *pgxpool.Pool, a *pgx.Conn or a
// caller's pgx.Tx. Given a transaction, every call runs inside it, so an
// application can create a user together with rows of its own and commit or
// roll back both.
//
// Expiries are int64 milliseconds since the Unix epoch, as stored. Known
// failures are the sentinel errors ([ErrInvalidUserID] and friends), which
// carry Lucia's error codes; every other database error is returned as pgx
// reported it.
//
// Lucia deletes a user's dead sessions only when that user signs in again;
// [Store.DeleteDeadSessions] purges all of them in batches
// ([Store.PurgeDeadSessions] with a timeout per batch and a progress
// report), and [Janitor.Run] does so every interval until its context ends,
// in a goroutine of the caller's.
//
// [NewSessionCache] wraps a Store in an Adapter that serves sessions, with
// their users, from memory, kept coherent in every process by triggers that
// log each change to a live session or a user, whoever makes it, to a table
// every cache reads every few milliseconds.
//
// Behind PgBouncer in transaction pooling mode, a Store works with pgx's
// exec, cache_describe or simple_protocol query exec mode (not its default,
// which keeps named prepared statements); [Migrate] and a SessionCache run
// there too (Migrate refuses a transaction:false migration through a
// pooler). [NewReplicaRouter] sends the hot-path reads to a streaming
// replica while its lag stays below a bound, and everything else to the
// primary.
//
// The package logs nothing, except through the *slog.Logger a Janitor or
// a SessionCache is given.
package luciapg
