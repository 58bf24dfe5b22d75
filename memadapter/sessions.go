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

// SetSession implements luciapg.SessionAdapter, with the session's
// metadata when ctx carries an origin.
func (a *Adapter) SetSession(ctx context.Context, session luciapg.Session) (err error) {
	if err := input.Session(session.ID, session.UserID); err != nil {
		return err
	}
	meta, hasOrigin, err := originMetadata(ctx)
	if err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, taken := a.sessions[session.ID]; taken {
		return luciapg.ErrDuplicateSessionID
	}
	if _, ok := a.users[session.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	a.insertSession(session, meta, hasOrigin)
	return nil
}

// SetSessionForKey implements luciapg.SessionAdapter: the check, the
// rehash and the insert (with the session's metadata when ctx carries an
// origin) happen under one hold of the adapter's lock.
func (a *Adapter) SetSessionForKey(ctx context.Context, session luciapg.Session, keyID, checkedHash string, rehash *string) (err error) {
	if err := input.Session(session.ID, session.UserID); err != nil {
		return err
	}
	if err := input.HashedPassword(rehash); err != nil {
		return err
	}
	meta, hasOrigin, err := originMetadata(ctx)
	if err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
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
	a.insertSession(session, meta, hasOrigin)
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
func (a *Adapter) DeleteSession(ctx context.Context, sessionID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	a.deleteSessionRows(sessionID)
	return nil
}

// DeleteSessionsByUserID implements luciapg.SessionAdapter.
func (a *Adapter) DeleteSessionsByUserID(ctx context.Context, userID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
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
// records and metadata. The caller holds mu.
func (a *Adapter) deleteSessionsOf(userID string) {
	for id, s := range a.sessions {
		if s.UserID == userID {
			a.deleteSessionRows(id)
		}
	}
}
