// Package connerr explains why a connection to PostgreSQL failed, in one
// line that says what to do, for luciapg.Connect, Migrate, the session
// cache, the CLI and the test helpers.
package connerr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Explain turns an error from parsing a connection string or
// connecting with pgx (pgx.Connect, pgxpool's first query, Ping) into one
// line that says what is wrong and what to do:
//
//	not a connection string (want postgres://user@host:port/database or host=... dbname=...; ...)
//	server not reachable at 127.0.0.1:5432 — start PostgreSQL or set DATABASE_URL
//	database app does not exist at 127.0.0.1:5432 — create it with createdb app
//	role bob does not exist at 127.0.0.1:5432 — create it with createuser bob, or connect as another user
//
// The message never repeats the connection string, which may hold a
// password. The returned error wraps err (except a parse error, whose own
// text quotes the string), so errors.Is(err, context.Canceled) and
// errors.As(err, **pgconn.PgError) still work. Any other error, and nil,
// is returned unchanged.
//
// luciapg.Connect, Migrate and the session cache explain their errors
// with it.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var explained *connectError
	if errors.As(err, &explained) {
		return err
	}
	var parseErr *pgconn.ParseConfigError
	if errors.As(err, &parseErr) {
		// Not wrapped: pgx's message quotes the string, and its inner error
		// can quote a piece of a malformed password.
		return &connectError{msg: "not a connection string (want postgres://user@host:port/database or host=... dbname=...; " +
			"percent-encode special characters in a URL's password)"}
	}
	var connErr *pgconn.ConnectError
	if !errors.As(err, &connErr) || connErr.Config == nil {
		return err
	}
	cfg := connErr.Config
	if !plausibleHosts(cfg) {
		// pgx splits "postgres://bob:pass@word@host" at the first '@', so
		// the host is "word@host": naming it, or the user, could quote the
		// password.
		return &connectError{msg: "the connection string's host is not a host name — percent-encode any '@', '/', ':', '#' or '?' in the user or password (%40, %2F, %3A, %23, %3F)", err: errWithoutText{err}}
	}
	where := serverAddress(cfg)
	explain := func(format string, args ...any) error {
		return &connectError{msg: fmt.Sprintf(format, args...), err: err}
	}
	var pgErr *pgconn.PgError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		cause := context.Canceled
		if errors.Is(err, context.DeadlineExceeded) {
			cause = context.DeadlineExceeded
		}
		return explain("connecting to %s: %v", where, cause)
	case errors.As(err, &pgErr):
		return explainServerRefusal(pgErr, cfg, where, err)
	case errors.As(err, &dnsErr):
		return explain("host %s not found — check the host in the connection string", cfg.Host)
	case isDialError(err):
		return explain("server not reachable at %s — start PostgreSQL or set DATABASE_URL", where)
	}
	return explain("could not connect to %s as %s: %s", where, cfg.User, firstLine(errors.Unwrap(connErr)))
}

// explainServerRefusal explains a server's refusal of the connection by
// SQLSTATE; the server's own message is the fallback.
func explainServerRefusal(pgErr *pgconn.PgError, cfg *pgconn.Config, where string, err error) error {
	explain := func(format string, args ...any) error {
		return &connectError{msg: fmt.Sprintf(format, args...), err: err}
	}
	switch pgErr.Code {
	case "3D000": // invalid_catalog_name
		return explain("database %s does not exist at %s — create it with createdb %s", cfg.Database, where, cfg.Database)
	case "28000": // invalid_authorization_specification: no such role, or pg_hba.conf refuses
		if strings.HasPrefix(pgErr.Message, "role ") && strings.HasSuffix(pgErr.Message, " does not exist") {
			return explain("role %s does not exist at %s — create it with createuser %s, or connect as another user", cfg.User, where, cfg.User)
		}
		return explain("server at %s refused user %s: %s — check pg_hba.conf", where, cfg.User, pgErr.Message)
	case "28P01": // invalid_password
		return explain("password authentication failed for user %s at %s — check the password in the connection string", cfg.User, where)
	case "57P03": // cannot_connect_now
		return explain("server at %s is starting up or shutting down — try again in a moment", where)
	case "53300": // too_many_connections
		return explain("server at %s has no connection slot free — close idle connections or raise max_connections", where)
	}
	return explain("server at %s refused the connection: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
}

// connectError is an explained connection failure: its message is the
// explanation, its Unwrap the original error.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.err }

// serverAddress is host:port for TCP, or the socket's path.
func serverAddress(cfg *pgconn.Config) string {
	_, address := pgconn.NetworkAddress(cfg.Host, cfg.Port)
	return address
}

// isDialError reports a failure to reach the server at all: refused,
// timed out, no route.
func isDialError(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// firstLine is the first line of err's message: pgx joins one error per
// attempted address, which are most often the same.
func firstLine(err error) string {
	if err == nil {
		return "unknown error"
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// FirstLine is the first line of err's message, explained first (see
// Explain), for a log record: pgx's own messages quote the connection
// string or the host, either of which can hold part of a password.
func FirstLine(err error) string { return firstLine(Explain(err)) }

// plausibleHosts reports whether every host cfg would try looks like a host
// name, an IP address or a socket directory. A host holding an '@' or a
// space is most often the tail of a password that was not percent-encoded.
func plausibleHosts(cfg *pgconn.Config) bool {
	if !plausibleHost(cfg.Host) {
		return false
	}
	for _, fb := range cfg.Fallbacks {
		if !plausibleHost(fb.Host) {
			return false
		}
	}
	return true
}

func plausibleHost(host string) bool {
	if strings.HasPrefix(host, "/") {
		return !strings.ContainsAny(host, "@\x00")
	}
	for _, r := range host {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '-', r == '_', r == ':', r == '%', r == '[', r == ']':
		default:
			return false
		}
	}
	return true
}

// errWithoutText wraps an error for errors.Is and errors.As while hiding
// its text, which quotes what should not be repeated.
type errWithoutText struct{ err error }

func (e errWithoutText) Error() string { return "connection failed" }
func (e errWithoutText) Unwrap() error { return e.err }
