package luciapg

import (
	"context"
	"time"
)

// The calls a SessionCache passes to its Store. Those that change a
// session or a user evict it locally once the Store returns, whether or not
// it failed (a failed call may still have committed), so this process never
// serves what it has just changed; the triggers log it for the other processes.

// GetUser implements UserAdapter through the Store.
func (c *SessionCache) GetUser(ctx context.Context, userID string) (User, error) {
	return c.store.GetUser(ctx, userID)
}

// SetUser implements UserAdapter through the Store.
func (c *SessionCache) SetUser(ctx context.Context, user User, key *Key) (User, error) {
	return c.store.SetUser(ctx, user, key)
}

// UpdateUserAttributes implements UserAdapter through the Store and evicts
// the user's cached sessions.
func (c *SessionCache) UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (User, error) {
	defer c.evictUser(keyOf(userID), &c.stats.evictedLocal)
	return c.store.UpdateUserAttributes(ctx, userID, attributes)
}

// DeleteUser implements UserAdapter through the Store and evicts the
// user's cached sessions.
func (c *SessionCache) DeleteUser(ctx context.Context, userID string) error {
	defer c.evictUser(keyOf(userID), &c.stats.evictedLocal)
	return c.store.DeleteUser(ctx, userID)
}

// GetKey implements UserAdapter through the Store.
func (c *SessionCache) GetKey(ctx context.Context, keyID string) (Key, error) {
	return c.store.GetKey(ctx, keyID)
}

// GetKeysByUserID implements UserAdapter through the Store.
func (c *SessionCache) GetKeysByUserID(ctx context.Context, userID string) ([]Key, error) {
	return c.store.GetKeysByUserID(ctx, userID)
}

// SetKey implements UserAdapter through the Store.
func (c *SessionCache) SetKey(ctx context.Context, key Key) error {
	return c.store.SetKey(ctx, key)
}

// UpdateKeyPassword implements UserAdapter through the Store.
func (c *SessionCache) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) (Key, error) {
	return c.store.UpdateKeyPassword(ctx, keyID, hashedPassword)
}

// DeleteNonPrimaryKey implements UserAdapter through the Store.
func (c *SessionCache) DeleteNonPrimaryKey(ctx context.Context, keyID string) error {
	return c.store.DeleteNonPrimaryKey(ctx, keyID)
}

// DeleteKeysByUserID implements UserAdapter through the Store.
func (c *SessionCache) DeleteKeysByUserID(ctx context.Context, userID string) error {
	return c.store.DeleteKeysByUserID(ctx, userID)
}

// ConsumeKey implements UserAdapter through the Store.
func (c *SessionCache) ConsumeKey(ctx context.Context, keyID string) (Key, error) {
	return c.store.ConsumeKey(ctx, keyID)
}

// GetSessionsByUserID implements SessionAdapter through the Store.
func (c *SessionCache) GetSessionsByUserID(ctx context.Context, userID string) ([]Session, error) {
	return c.store.GetSessionsByUserID(ctx, userID)
}

// SetSession implements SessionAdapter through the Store. A new session
// has no entry, but an id reused after a delete might.
func (c *SessionCache) SetSession(ctx context.Context, session Session) error {
	defer c.evictSession(keyOf(session.ID), &c.stats.evictedLocal)
	return c.store.SetSession(ctx, session)
}

// ExtendSession implements SessionAdapter through the Store and evicts the
// session; the next read caches the new expiries.
func (c *SessionCache) ExtendSession(ctx context.Context, sessionID string, activeExpires, idleExpires int64) (Session, error) {
	defer c.evictSession(keyOf(sessionID), &c.stats.evictedLocal)
	return c.store.ExtendSession(ctx, sessionID, activeExpires, idleExpires)
}

// DeleteSession implements SessionAdapter through the Store and evicts the
// session.
func (c *SessionCache) DeleteSession(ctx context.Context, sessionID string) error {
	defer c.evictSession(keyOf(sessionID), &c.stats.evictedLocal)
	return c.store.DeleteSession(ctx, sessionID)
}

// DeleteSessionsByUserID implements SessionAdapter through the Store and
// evicts the user's cached sessions.
func (c *SessionCache) DeleteSessionsByUserID(ctx context.Context, userID string) error {
	defer c.evictUser(keyOf(userID), &c.stats.evictedLocal)
	return c.store.DeleteSessionsByUserID(ctx, userID)
}

// CountAttempt implements AttemptThrottle through the Store, so that
// auth.New finds the throttle on the cache.
func (c *SessionCache) CountAttempt(ctx context.Context, throttleKey string, now time.Time, policy ThrottlePolicy) (time.Duration, error) {
	return c.store.CountAttempt(ctx, throttleKey, now, policy)
}

// ResetAttempts implements AttemptThrottle through the Store.
func (c *SessionCache) ResetAttempts(ctx context.Context, throttleKey string) error {
	return c.store.ResetAttempts(ctx, throttleKey)
}
