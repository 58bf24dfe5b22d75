package auth

import (
	"context"
	"errors"
	"time"

	"github.com/luciapg/luciapg"
)

// DefaultLastSeenInterval is how often at most a session's last use is
// written (Config.LastSeenInterval).
const DefaultLastSeenInterval = 5 * time.Minute

// errNotYet marks the contract's stubs; gone once implemented.
var errNotYet = errors.New("auth: not implemented yet")

// SessionInfo is one of a user's sessions as the user sees it: where and
// when it began, when it was last used, without its id (Label names it).
type SessionInfo struct {
	// Label names the session (SessionLabel): what RevokeSession takes.
	Label string
	// Current is true for the session the list was asked from.
	Current bool
	// State is SessionActive or SessionIdle; dead sessions are not listed.
	State SessionState
	// HasMetadata is false for a session made without an origin (by a
	// Lucia v1 app): CreatedAt, ClientAddress and UserAgent are then zero.
	HasMetadata   bool
	CreatedAt     time.Time
	ClientAddress string
	UserAgent     string
	// LastSeenAt is the last recorded use (written at most every
	// Config.LastSeenInterval), or the zero time.
	LastSeenAt time.Time
	// Factors made the session (luciapg.Factor* names), nil when unknown.
	Factors []string
	// ActiveExpires and IdleExpires are the session's expiries.
	ActiveExpires time.Time
	IdleExpires   time.Time
}

// ListSessions returns the live sessions of current's user, current first,
// then the others by last use, newest first: "where you are signed in".
// ErrDevicesUnavailable when the adapter is no luciapg.DeviceAdapter.
func (a *Auth) ListSessions(ctx context.Context, current Session) ([]SessionInfo, error) {
	return nil, errNotYet
}

// RevokeSession ends the session of current's user that label names
// (SessionLabel), recording a session_revoked event in the same
// transaction. A label that names none of the user's live sessions
// (another user's included) is ErrSessionNotFound, and nothing is deleted.
func (a *Auth) RevokeSession(ctx context.Context, current Session, label string) error {
	return errNotYet
}

// RevokeOtherSessions ends every session of current's user but current
// ("sign out everywhere else"), atomically, and returns how many it ended.
func (a *Auth) RevokeOtherSessions(ctx context.Context, current Session) (int, error) {
	return 0, errNotYet
}

// FlushLastSeen writes the last uses recorded since the last write now,
// and waits for it: for a graceful shutdown, and tests. Validations record
// uses in memory; they are otherwise written in the background, at most
// once per Config.LastSeenInterval per session.
func (a *Auth) FlushLastSeen(ctx context.Context) error {
	return errNotYet
}

// AuditEvents returns a page of the audit log, newest first (see
// luciapg.AuditQuery); ErrAuditUnavailable when the adapter keeps none.
func (a *Auth) AuditEvents(ctx context.Context, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	return nil, errNotYet
}

// AuditContext returns ctx carrying an audit event of kind for the user,
// with the time, the client's address and user agent from ctx, the label
// of sessionID (never the id; empty for none) and detail (no secret): the
// next write made with it records the event in its transaction (see
// luciapg.WithAuditEvent). For an application's own events, such as a
// password reset requested.
func (a *Auth) AuditContext(ctx context.Context, kind, userID, sessionID, detail string) context.Context {
	return ctx
}
