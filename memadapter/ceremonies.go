package memadapter

import (
	"bytes"
	"context"
	"crypto/subtle"
	"maps"
	"slices"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// The short-lived rows: WebAuthn ceremonies and pending logins. Times are
// kept to the microsecond, as the Store's timestamptz keeps them, so that
// both expire a row at the same instant.

func microseconds(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// SetChallenge implements luciapg.FactorAdapter.
func (a *Adapter) SetChallenge(ctx context.Context, challenge luciapg.Challenge) (err error) {
	c := challenge
	if err := input.Challenge(c.ID, c.UserID, c.Purpose, c.Data, c.Expires); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, taken := a.factors.challenges[c.ID]; taken {
		return luciapg.ErrFactorExists
	}
	if _, ok := a.users[c.UserID]; c.UserID != "" && !ok {
		return luciapg.ErrInvalidUserID
	}
	c.Data, c.Expires = bytes.Clone(c.Data), microseconds(c.Expires)
	a.factors.challenges[c.ID] = c
	return nil
}

// ConsumeChallenge implements luciapg.FactorAdapter: the check and the
// delete happen under one hold of the lock. An expired ceremony is left
// for PurgeExpiredCeremonies, as the Store leaves it.
func (a *Adapter) ConsumeChallenge(ctx context.Context, id string, now time.Time) (_ luciapg.Challenge, err error) {
	if err := input.Time("now", now); err != nil {
		return luciapg.Challenge{}, err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return luciapg.Challenge{}, err
	}
	defer unlock(&err)
	c, ok := a.factors.challenges[id]
	if !ok || c.Expires.Before(microseconds(now)) {
		return luciapg.Challenge{}, luciapg.ErrChallengeNotFound
	}
	delete(a.factors.challenges, id)
	return c, nil
}

// SetPendingLogin implements luciapg.FactorAdapter.
func (a *Adapter) SetPendingLogin(ctx context.Context, pending luciapg.PendingLogin) (err error) {
	p := pending
	if err := input.PendingLogin(p.ID, p.UserID, p.ClientBinding, p.Factors, p.KeyID, p.KeyHashDigest, p.Expires); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, taken := a.factors.pending[p.ID]; taken {
		return luciapg.ErrFactorExists
	}
	if _, ok := a.users[p.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	p.Factors, p.Expires = slices.Clone(p.Factors), microseconds(p.Expires)
	a.factors.pending[p.ID] = p
	return nil
}

// livePending returns the pending login unless it is missing or expired
// before now. The caller holds mu.
func (a *Adapter) livePending(id string, now time.Time) (luciapg.PendingLogin, bool) {
	p, ok := a.factors.pending[id]
	return p, ok && !p.Expires.Before(microseconds(now))
}

// GetPendingLogin implements luciapg.FactorAdapter.
func (a *Adapter) GetPendingLogin(_ context.Context, id string, now time.Time) (luciapg.PendingLogin, error) {
	if err := input.Time("now", now); err != nil {
		return luciapg.PendingLogin{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.livePending(id, now)
	if !ok {
		return luciapg.PendingLogin{}, luciapg.ErrPendingLoginNotFound
	}
	p.Factors = slices.Clone(p.Factors)
	return p, nil
}

// CompletePendingLogin implements luciapg.FactorAdapter: every check comes
// before the first write, under one hold of the lock, so a refused call
// changes nothing. The session gets its factor record, and its metadata
// when ctx carries an origin.
func (a *Adapter) CompletePendingLogin(ctx context.Context, id string, now time.Time, session luciapg.Session, factors luciapg.SessionFactors) (err error) {
	if err := input.Completion(now, session.ID, session.UserID, factors.SessionID, factors.UserID, factors.Factors, factors.AuthenticatedAt); err != nil {
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
	p, ok := a.livePending(id, now)
	if !ok {
		return luciapg.ErrPendingLoginNotFound
	}
	if p.UserID != session.UserID {
		return input.ErrPendingLoginNotSessionUser
	}
	if p.KeyID != "" {
		key, ok := a.keys[p.KeyID]
		if !ok || key.HashedPassword == nil || key.UserID != p.UserID ||
			subtle.ConstantTimeCompare([]byte(luciapg.KeyHashDigest(*key.HashedPassword)), []byte(p.KeyHashDigest)) != 1 {
			return luciapg.ErrKeyChanged
		}
	}
	if _, taken := a.sessions[session.ID]; taken {
		return luciapg.ErrDuplicateSessionID
	}
	if _, ok := a.users[session.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	delete(a.factors.pending, id)
	a.insertSession(session, meta, hasOrigin)
	a.factors.sessions[session.ID] = copySessionFactors(factors)
	return nil
}

// PurgeExpiredCeremonies implements luciapg.FactorAdapter.
func (a *Adapter) PurgeExpiredCeremonies(_ context.Context, before time.Time) (int64, error) {
	if err := input.Time("purge time", before); err != nil {
		return 0, err
	}
	before = microseconds(before)
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.factors.challenges) + len(a.factors.pending)
	maps.DeleteFunc(a.factors.challenges, func(_ string, c luciapg.Challenge) bool { return c.Expires.Before(before) })
	maps.DeleteFunc(a.factors.pending, func(_ string, p luciapg.PendingLogin) bool { return p.Expires.Before(before) })
	return int64(n - len(a.factors.challenges) - len(a.factors.pending)), nil
}
