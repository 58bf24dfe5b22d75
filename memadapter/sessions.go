package memadapter

import (
	"context"
	"maps"
	"slices"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// GetSession implements luciapg.SessionAdapter.
func (a *Adapter) GetSession(_ context.Context, sessionID string) (luciapg.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	session, ok := a.sessions[sessionID]
	if !ok {
		return luciapg.Session{}, luciapg.ErrInvalidSessionID
	}
	return session, nil
}

// GetSessionsByUserID implements luciapg.SessionAdapter; sessions come in
// id order.
func (a *Adapter) GetSessionsByUserID(_ context.Context, userID string) ([]luciapg.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sessions := []luciapg.Session{}
	for _, id := range slices.Sorted(maps.Keys(a.sessions)) {
		if session := a.sessions[id]; session.UserID == userID {
			sessions = append(sessions, session)
		}
	}
	return sessions, nil
}

// SetSession implements luciapg.SessionAdapter.
func (a *Adapter) SetSession(_ context.Context, session luciapg.Session) error {
	if err := input.Session(session.ID, session.UserID); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, taken := a.sessions[session.ID]; taken {
		return luciapg.ErrDuplicateSessionID
	}
	if _, ok := a.users[session.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	a.sessions[session.ID] = session
	return nil
}

// SetSessionForKey implements luciapg.SessionAdapter: the check, the
// rehash and the insert happen under one hold of the adapter's lock.
func (a *Adapter) SetSessionForKey(_ context.Context, session luciapg.Session, keyID, checkedHash string, rehash *string) error {
	if err := input.Session(session.ID, session.UserID); err != nil {
		return err
	}
	if err := input.HashedPassword(rehash); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key, ok := a.keys[keyID]
	if !ok || key.HashedPassword == nil || *key.HashedPassword != checkedHash {
		return luciapg.ErrKeyChanged
	}
	if key.UserID != session.UserID {
		return input.ErrSessionNotKeyUser
	}
	if _, taken := a.sessions[session.ID]; taken {
		return luciapg.ErrDuplicateSessionID
	}
	if rehash != nil {
		updated := *rehash
		key.HashedPassword = &updated
		a.keys[keyID] = key
	}
	a.sessions[session.ID] = session
	return nil
}

// ExtendSession implements luciapg.SessionAdapter.
func (a *Adapter) ExtendSession(_ context.Context, sessionID string, activeExpires, idleExpires int64) (luciapg.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	session, ok := a.sessions[sessionID]
	if !ok {
		return luciapg.Session{}, luciapg.ErrInvalidSessionID
	}
	session.ActiveExpires, session.IdleExpires = activeExpires, idleExpires
	a.sessions[sessionID] = session
	return session, nil
}

// DeleteSession implements luciapg.SessionAdapter.
func (a *Adapter) DeleteSession(_ context.Context, sessionID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, sessionID)
	delete(a.factors.sessions, sessionID)
	return nil
}

// DeleteSessionsByUserID implements luciapg.SessionAdapter.
func (a *Adapter) DeleteSessionsByUserID(_ context.Context, userID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deleteSessionsOf(userID)
	return nil
}

// GetSessionAndUser implements luciapg.Adapter.
func (a *Adapter) GetSessionAndUser(_ context.Context, sessionID string) (luciapg.Session, luciapg.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	session, ok := a.sessions[sessionID]
	if !ok {
		return luciapg.Session{}, luciapg.User{}, luciapg.ErrInvalidSessionID
	}
	return session, userFrom(session.UserID, a.users[session.UserID]), nil
}

// deleteSessionsOf deletes every session of userID, with their factor
// records. The caller holds mu.
func (a *Adapter) deleteSessionsOf(userID string) {
	maps.DeleteFunc(a.sessions, func(_ string, s luciapg.Session) bool { return s.UserID == userID })
	maps.DeleteFunc(a.factors.sessions, func(_ string, f luciapg.SessionFactors) bool { return f.UserID == userID })
}
