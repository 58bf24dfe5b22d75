// Package luciapg stores Lucia v1 authentication data — users, keys with
// password hashes, and sessions with active and idle expiries — in
// PostgreSQL, through pgx/v5.
//
// The tables are exactly those of Lucia v1's PostgreSQL adapter (auth_user,
// auth_session, auth_key), so a Go service using luciapg and a JavaScript
// app using Lucia v1 can share one database. This package is the contract
// and its PostgreSQL implementation:
//
//   - [Adapter] (with its halves [UserAdapter] and [SessionAdapter]) is
//     Lucia's adapter contract; [AttemptThrottle] counts guesses of a secret
//     per throttle key; [ThrottlingAdapter] is both, what the auth core and
//     every layer over the Store take. [StaleReader] is the optional
//     capability of a layer whose reads may lag.
//   - [Store] implements them on whatever it is given: a *pgxpool.Pool, a
//     *pgx.Conn or a caller's pgx.Tx, in which every call then runs, so an
//     application can create a user together with rows of its own and
//     commit or roll back both.
//   - [Migrate] creates and updates the tables over the connection
//     configuration the application's pool is built from, and says what it
//     applied; [Connect] opens a pool whose errors say what to do.
//   - [Store.PurgeDeadSessions] and [Store.PurgeStaleAttempts] remove rows
//     that no longer matter, batch by batch; [NewJanitor] does both in the
//     background until Close.
//
// Other packages build on the contract: auth (Lucia's rules: sign-up,
// login, session validation and renewal) and its HTTP glue auth/authhttp;
// sessioncache, which serves sessions from memory over any
// ThrottlingAdapter, kept coherent by triggers whoever writes; replica,
// which routes hot-path reads to a streaming standby within a lag bound;
// memadapter, an in-memory adapter for tests; adaptertest, the
// conformance suite every adapter passes. They stack: a cache over a
// router over a Store.
//
// Expiries are int64 milliseconds since the Unix epoch, as stored; every
// other instant or duration in the API is a time.Time or time.Duration.
// Known failures are the sentinel errors ([ErrInvalidUserID] and friends,
// with Lucia's error codes; [ErrDuplicateAttribute] for a taken UNIQUE
// attribute column; [ErrNotMigrated] for a database without luciapg's
// tables); a value refused before any SQL is [ErrInvalidInput], a
// constructor's bad configuration [ErrInvalidConfig]. Every other database
// error is returned as pgx reported it.
//
// Behind PgBouncer in transaction pooling mode, a Store works with pgx's
// exec, cache_describe or simple_protocol query exec mode (not its default,
// which keeps named prepared statements); Migrate runs there too, except a
// transaction:false migration, which it refuses through a pooler.
//
// The package logs nothing, except through the *slog.Logger a Janitor is
// given.
package luciapg
