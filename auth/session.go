package auth

import (
	"context"
	"errors"
	"time"

	"github.com/luciapg/luciapg"
)

// SessionState is where a live session is in its life.
type SessionState int

const (
	// SessionActive: now is at or before the active expiry.
	SessionActive SessionState = iota + 1
	// SessionIdle: past the active expiry, at or before the idle expiry.
	// Validating an idle session renews it in place.
	SessionIdle
)

// String returns "active" or "idle", Lucia's names for the states.
func (s SessionState) String() string {
	switch s {
	case SessionActive:
		return "active"
	case SessionIdle:
		return "idle"
	default:
		return "unknown"
	}
}

// Session is a live session as the auth core sees it. Dead sessions (past
// their idle expiry) are never returned.
type Session struct {
	// ID is the session id, the secret a client presents.
	ID string
	// UserID is the id of the user the session belongs to.
	UserID string
	// ActiveExpires ends the active period.
	ActiveExpires time.Time
	// IdleExpires ends the idle period; after it the session is dead. It is
	// also when the session cookie expires.
	IdleExpires time.Time
	// State is the session's state when it was read.
	State SessionState
	// Fresh is true for a session just created by CreateSession or just
	// renewed: the client must be sent its cookie (again, for a renewal,
	// with the new expiry).
	Fresh bool
}

// sessionState returns the state of a stored session at nowMillis, and
// false for a dead one.
func sessionState(s luciapg.Session, nowMillis int64) (SessionState, bool) {
	switch {
	case nowMillis <= s.ActiveExpires:
		return SessionActive, true
	case nowMillis <= s.IdleExpires:
		return SessionIdle, true
	default:
		return 0, false
	}
}

func sessionFromRow(s luciapg.Session, state SessionState, fresh bool) Session {
	return Session{
		ID:            s.ID,
		UserID:        s.UserID,
		ActiveExpires: time.UnixMilli(s.ActiveExpires),
		IdleExpires:   time.UnixMilli(s.IdleExpires),
		State:         state,
		Fresh:         fresh,
	}
}

// CreateSession opens a new, active session for the user: a random id of
// Config.SessionIDLength characters, active for Config.ActivePeriod and then
// idle for Config.IdlePeriod. An unknown user is luciapg.ErrInvalidUserID.
//
// It is a login: the session records its origin (when, the client's
// address and user agent from ctx: see WithClient), a login event goes in
// the audit log in the insert's transaction, and a login from a client
// the user has not signed in from before sends a notice (Config.Notifier).
func (a *Auth) CreateSession(ctx context.Context, userID string) (Session, error) {
	return a.createSession(ctx, userID, nil)
}

// createSession is CreateSession, its login event saying factors made it.
func (a *Auth) createSession(ctx context.Context, userID string, factors []string) (Session, error) {
	row, err := a.newSessionRow(userID)
	if err != nil {
		return Session{}, err
	}
	login := a.checkNewClient(ctx, userID)
	if err := a.adapter.SetSession(a.sessionContext(ctx, row, factors), row); err != nil {
		return Session{}, err
	}
	a.loggedInFrom(ctx, login)
	return sessionFromRow(row, SessionActive, true), nil
}

// newSessionRow is a new session of the user: a random id, active from now.
func (a *Auth) newSessionRow(userID string) (luciapg.Session, error) {
	id, err := randomString(a.sessionIDLength)
	if err != nil {
		return luciapg.Session{}, err
	}
	activeExpires := a.nowMillis() + a.activePeriod.Milliseconds()
	return luciapg.Session{
		ID:            id,
		UserID:        userID,
		ActiveExpires: activeExpires,
		IdleExpires:   activeExpires + a.idlePeriod.Milliseconds(),
	}, nil
}

// ValidateSession returns the session if it is alive. An active session is
// returned as it is. An idle one is renewed in place: its expiries are
// moved on (active for Config.ActivePeriod from now, then idle for
// Config.IdlePeriod), its id stays, and the result is Fresh, since the
// client's cookie must be sent again with the new expiry. A dead session
// is deleted, and it, like an unknown id or one of the wrong length
// (refused without calling the adapter), is luciapg.ErrInvalidSessionID.
//
// Lucia v1 renewed by creating a new session and leaving the old one
// alive; luciapg extends the same row, as Lucia v3 does (see renewSession).
func (a *Auth) ValidateSession(ctx context.Context, sessionID string) (Session, error) {
	if len(sessionID) != a.sessionIDLength {
		return Session{}, luciapg.ErrInvalidSessionID
	}
	row, err := a.adapter.GetSession(ctx, sessionID)
	if err != nil {
		return Session{}, err
	}
	return a.checkSession(ctx, row)
}

// ValidateSessionUser is ValidateSession that also returns the session's
// user, read together with the session in one adapter call (one round trip
// for the PostgreSQL Store, unless the session must be renewed or deleted).
func (a *Auth) ValidateSessionUser(ctx context.Context, sessionID string) (Session, luciapg.User, error) {
	if len(sessionID) != a.sessionIDLength {
		return Session{}, luciapg.User{}, luciapg.ErrInvalidSessionID
	}
	row, user, err := a.adapter.GetSessionAndUser(ctx, sessionID)
	if err != nil {
		return Session{}, luciapg.User{}, err
	}
	session, err := a.checkSession(ctx, row)
	if err != nil {
		return Session{}, luciapg.User{}, err
	}
	return session, user, nil
}

// checkSession applies the expiry rules to a stored session, and marks
// the use of a live one (see lastSeen: in memory, written later).
func (a *Auth) checkSession(ctx context.Context, row luciapg.Session) (Session, error) {
	now := a.nowMillis()
	state, alive := sessionState(row, now)
	switch {
	case !alive:
		if err := a.adapter.DeleteSession(ctx, row.ID); err != nil {
			return Session{}, err
		}
		return Session{}, luciapg.ErrInvalidSessionID
	case state == SessionActive:
		a.lastSeen.mark(ctx, row.ID, now)
		return sessionFromRow(row, state, false), nil
	default:
		session, err := a.renewSession(ctx, row)
		if err == nil {
			a.lastSeen.mark(ctx, row.ID, now)
		}
		return session, err
	}
}

// renewSession extends an idle session in place, in one adapter call
// (ExtendSession), and returns it Fresh with the same id.
//
// A new id on renewal, as Lucia v1 made, protects nothing: whoever holds
// the old id can renew it as well as its owner can. It made each request
// carrying one idle cookie mint another session (a page's parallel
// requests, or an attacker's loop), and a logout that ended the new
// session left the old cookie working. Extending in place makes renewal
// idempotent: however many requests carry an idle id, it stays one
// session, and ending it ends it. Lucia v1 reads the same id with later
// expiries as an ordinary active session, so a Go service and a Lucia v1
// app sharing the database still understand each other's sessions.
//
// Renewal reads nothing else: dead sessions are purged by the janitor
// (luciapg.Janitor) or DeleteDeadUserSessions, not on the request path.
func (a *Auth) renewSession(ctx context.Context, row luciapg.Session) (Session, error) {
	activeExpires := a.nowMillis() + a.activePeriod.Milliseconds()
	extended, err := a.adapter.ExtendSession(ctx, row.ID, activeExpires, activeExpires+a.idlePeriod.Milliseconds())
	if err != nil {
		// ErrInvalidSessionID: it was deleted (a logout, its user) since
		// it was read.
		return Session{}, err
	}
	return sessionFromRow(extended, SessionActive, true), nil
}

// InvalidateSession deletes the session: a logout. An unknown id is not an
// error. With an adapter that keeps an audit log, a logout event goes in
// the delete's transaction: the session is read first to know its user,
// unless ctx carries an event already (AuditContext; authhttp's Logout
// passes its validated session's so).
func (a *Auth) InvalidateSession(ctx context.Context, sessionID string) error {
	if _, ok := a.audits(); !ok || hasAuditEvent(ctx) {
		return a.adapter.DeleteSession(ctx, sessionID)
	}
	row, err := a.adapter.GetSession(ctx, sessionID)
	switch {
	case errors.Is(err, luciapg.ErrInvalidSessionID):
		return a.adapter.DeleteSession(ctx, sessionID) // nothing to log out of
	case err != nil:
		return err
	}
	return a.adapter.DeleteSession(a.withAuditEvent(ctx, luciapg.AuditLogout, row.UserID, sessionID, ""), sessionID)
}

// InvalidateAllUserSessions deletes every session of the user ("log out
// everywhere"), recording a session_revoked event ("all") in the same
// transaction.
func (a *Auth) InvalidateAllUserSessions(ctx context.Context, userID string) error {
	return a.adapter.DeleteSessionsByUserID(a.withAuditEvent(ctx, luciapg.AuditSessionRevoked, userID, "", "all"), userID)
}

// GetAllUserSessions returns the user's live sessions, active and idle,
// without renewing any. A user with none is checked to exist:
// luciapg.ErrInvalidUserID if not.
func (a *Auth) GetAllUserSessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := a.adapter.GetSessionsByUserID(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := a.nowMillis()
	sessions := make([]Session, 0, len(rows))
	for _, row := range rows {
		if state, alive := sessionState(row, now); alive {
			sessions = append(sessions, sessionFromRow(row, state, false))
		}
	}
	if len(rows) == 0 {
		if _, err := a.adapter.GetUser(ctx, userID); err != nil {
			return nil, err
		}
	}
	return sessions, nil
}

// DeleteDeadUserSessions deletes the user's sessions that are past their
// idle expiry.
func (a *Auth) DeleteDeadUserSessions(ctx context.Context, userID string) error {
	rows, err := a.adapter.GetSessionsByUserID(ctx, userID)
	if err != nil {
		return err
	}
	now := a.nowMillis()
	for _, row := range rows {
		if _, alive := sessionState(row, now); alive {
			continue
		}
		if err := a.adapter.DeleteSession(ctx, row.ID); err != nil {
			return err
		}
	}
	return nil
}
