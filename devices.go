package luciapg

import (
	"context"
	"time"
)

// MaxUserAgentBytes bounds the user agent a session's metadata keeps: a
// longer one is cut to this many bytes (at a character boundary), so that a
// hostile client cannot make every row it touches large.
const MaxUserAgentBytes = 512

// SessionOrigin is where and when a session began: what the session's
// metadata row (luciapg_session) records beside Lucia's row.
type SessionOrigin struct {
	// At is when the session was made.
	At time.Time
	// ClientAddress is the client's address as the throttles key it (the
	// auth core's AddressKey: an IPv4 address, or an IPv6 network such as
	// "2001:db8:1:2::/64"); empty when unknown.
	ClientAddress string
	// UserAgent is the client's User-Agent header, at most
	// MaxUserAgentBytes; empty when unknown.
	UserAgent string
}

type sessionOriginKey struct{}

// WithSessionOrigin returns ctx carrying origin: a session inserted through
// a Store (SetSession, SetSessionForKey, CompletePendingLogin) with the
// returned context gets a metadata row saying so, in the insert's
// transaction. The auth core sets it for each session it makes; a session
// inserted without it (by a Lucia v1 app, or by a caller that does not say)
// has no metadata.
//
// A context rather than a parameter, so that every layer over the Store
// (sessioncache.Cache, replica.Router, an application's own) carries it to
// the write without knowing of it, and Lucia's method signatures stay
// Lucia's.
func WithSessionOrigin(ctx context.Context, origin SessionOrigin) context.Context {
	return context.WithValue(ctx, sessionOriginKey{}, origin)
}

// SessionOriginFrom returns the origin WithSessionOrigin put in ctx, and
// false when there is none: for adapters other than the Store.
func SessionOriginFrom(ctx context.Context) (SessionOrigin, bool) {
	origin, ok := ctx.Value(sessionOriginKey{}).(SessionOrigin)
	return origin, ok
}

// SessionMetadata is a session with what luciapg knows of it beyond Lucia's
// row: one entry of a user's list of where they are signed in.
type SessionMetadata struct {
	Session Session
	// HasMetadata is false for a session made without an origin (by a Lucia
	// v1 app): then CreatedAt, ClientAddress, UserAgent and LastSeenAt are
	// zero.
	HasMetadata bool
	// CreatedAt, ClientAddress and UserAgent are the session's origin.
	CreatedAt     time.Time
	ClientAddress string
	UserAgent     string
	// LastSeenAt is the last use recorded by RecordSessionsSeen, or the zero
	// time when none was.
	LastSeenAt time.Time
	// Factors are the factors that made the session (see SessionFactors),
	// nil when it has no factor record.
	Factors []string
}

// SessionSeen is one use of a session, for RecordSessionsSeen.
type SessionSeen struct {
	SessionID string
	At        time.Time
}

// DeviceAdapter stores what a user needs to see where they are signed in
// and to end sessions they do not recognise, in luciapg_session beside
// Lucia's auth_session. The Store, memadapter, sessioncache.Cache and
// replica.Router implement it; the Cache and the Router pass every call to
// the adapter behind them (the Router to the primary), and the Cache evicts
// what a revocation deletes at once, as for DeleteSession. None of its
// errors holds a session id.
type DeviceAdapter interface {
	// GetUserSessionsMetadata returns the user's sessions, dead ones
	// included, each with its metadata when it has some, newest first (by
	// CreatedAt, sessions without metadata last), and an empty slice for
	// none. An unknown user is ErrInvalidUserID.
	GetUserSessionsMetadata(ctx context.Context, userID string) ([]SessionMetadata, error)
	// DeleteUserSession deletes the session only if it is the user's: an
	// unknown id and another user's session are both ErrInvalidSessionID,
	// and nothing is deleted.
	DeleteUserSession(ctx context.Context, userID, sessionID string) error
	// DeleteOtherUserSessions deletes every session of the user except
	// keepSessionID, atomically, and returns how many it deleted.
	DeleteOtherUserSessions(ctx context.Context, userID, keepSessionID string) (int64, error)
	// RecordSessionsSeen sets each session's LastSeenAt to its At, unless it
	// already holds a later time, in one statement; sessions without
	// metadata, or gone, are skipped. It is written off the request path, a
	// batch at a time (see auth.Config.LastSeenInterval).
	RecordSessionsSeen(ctx context.Context, seen []SessionSeen) error
}
