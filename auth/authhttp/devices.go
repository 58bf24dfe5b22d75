package authhttp

import (
	"net/http"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// ListSessions returns the sessions of the request's user (see
// auth.Auth.ListSessions), the request's own marked Current. Without a
// session in the request's context (Middleware) it is
// luciapg.ErrInvalidSessionID.
func (s *Sessions) ListSessions(r *http.Request) ([]auth.SessionInfo, error) {
	session, _, ok := FromContext(r.Context())
	if !ok {
		return nil, luciapg.ErrInvalidSessionID
	}
	return s.auth.ListSessions(r.Context(), session)
}

// RevokeSession ends the session of the request's user that label names
// (auth.Auth.RevokeSession): only ever one of that user's, so a label of
// another user's session, or a session id, is auth.ErrSessionNotFound.
// Without a session in the request's context it is
// luciapg.ErrInvalidSessionID. Serve it on an unsafe method (POST) behind
// Middleware, whose cross-origin check then guards it.
func (s *Sessions) RevokeSession(r *http.Request, label string) error {
	session, _, ok := FromContext(r.Context())
	if !ok {
		return luciapg.ErrInvalidSessionID
	}
	return s.auth.RevokeSession(r.Context(), session, label)
}

// RevokeOtherSessions ends every session of the request's user but the
// request's own, and returns how many it ended. Without a session in the
// request's context it is luciapg.ErrInvalidSessionID.
func (s *Sessions) RevokeOtherSessions(r *http.Request) (int, error) {
	session, _, ok := FromContext(r.Context())
	if !ok {
		return 0, luciapg.ErrInvalidSessionID
	}
	return s.auth.RevokeOtherSessions(r.Context(), session)
}

// AuditEvents returns a page of the audit log of the request's user,
// newest first (auth.Auth.AuditEvents): "recent activity". query.UserID is
// always replaced by the request's user, so that a parameter a client
// sent can never read another user's events; page with query.Before and
// query.Limit. Without a session in the request's context it is
// luciapg.ErrInvalidSessionID; with an adapter that keeps no log,
// auth.ErrAuditUnavailable. An administrator's view of everyone's events
// calls auth.Auth.AuditEvents itself.
func (s *Sessions) AuditEvents(r *http.Request, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	session, _, ok := FromContext(r.Context())
	if !ok {
		return nil, luciapg.ErrInvalidSessionID
	}
	query.UserID = session.UserID
	return s.auth.AuditEvents(r.Context(), query)
}
