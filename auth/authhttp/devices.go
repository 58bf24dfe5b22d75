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
	return nil, nil
}

// RevokeSession ends the session of the request's user that label names
// (auth.Auth.RevokeSession).
func (s *Sessions) RevokeSession(r *http.Request, label string) error {
	return nil
}

// RevokeOtherSessions ends every session of the request's user but the
// request's own, and returns how many it ended.
func (s *Sessions) RevokeOtherSessions(r *http.Request) (int, error) {
	return 0, nil
}

// AuditEvents returns a page of the request's user's audit events.
func (s *Sessions) AuditEvents(r *http.Request, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	return nil, nil
}
