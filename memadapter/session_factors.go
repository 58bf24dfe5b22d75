package memadapter

import (
	"context"
	"slices"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// Sessions' factor records: every path that deletes a session deletes its
// record too (sessions.go), as the Store's foreign key cascades.

func copySessionFactors(f luciapg.SessionFactors) luciapg.SessionFactors {
	f.Factors = slices.Clone(f.Factors)
	f.AuthenticatedAt = microseconds(f.AuthenticatedAt)
	return f
}

// GetSessionFactors implements luciapg.FactorAdapter.
func (a *Adapter) GetSessionFactors(_ context.Context, sessionID string) (luciapg.SessionFactors, luciapg.UserFactors, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	session, ok := a.sessions[sessionID]
	if !ok {
		return luciapg.SessionFactors{}, luciapg.UserFactors{}, luciapg.ErrInvalidSessionID
	}
	record, ok := a.factors.sessions[sessionID]
	if !ok {
		record = luciapg.SessionFactors{SessionID: sessionID, UserID: session.UserID}
	}
	return copySessionFactors(record), a.userFactors(session.UserID), nil
}

// SetSessionFactors implements luciapg.FactorAdapter.
func (a *Adapter) SetSessionFactors(ctx context.Context, factors luciapg.SessionFactors) (err error) {
	if err := input.SessionFactors(factors.SessionID, factors.UserID, factors.Factors, factors.AuthenticatedAt); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	session, ok := a.sessions[factors.SessionID]
	if !ok {
		return luciapg.ErrInvalidSessionID
	}
	if session.UserID != factors.UserID {
		return input.ErrSessionFactorsNotSessionUser
	}
	a.factors.sessions[factors.SessionID] = copySessionFactors(factors)
	return nil
}
