package sessioncache

import (
	"context"

	"github.com/luciapg/luciapg"
)

// The calls a Cache changes on their way to the next adapter: those that
// change a session or a user evict it locally once the next adapter
// returns, whether or not it failed (a failed call may still have
// committed), so this process never serves what it has just changed; the
// triggers log it for the other processes, and those that revoke (a
// session or user deleted, a user changed) wake the other caches to read
// the log at once (wakeup.go). Every other call goes to the next adapter
// as it is.

// UpdateUserAttributes implements luciapg.UserAdapter through the next
// adapter and evicts the user's cached sessions.
func (c *Cache) UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (luciapg.User, error) {
	defer c.revokedUser(keyOf(userID))
	return c.next.UpdateUserAttributes(ctx, userID, attributes)
}

// DeleteUser implements luciapg.UserAdapter through the next adapter and
// evicts the user's cached sessions.
func (c *Cache) DeleteUser(ctx context.Context, userID string) error {
	defer c.revokedUser(keyOf(userID))
	return c.next.DeleteUser(ctx, userID)
}

// SetSession implements luciapg.SessionAdapter through the next adapter.
// A new session has no entry, but an id reused after a delete might.
func (c *Cache) SetSession(ctx context.Context, session luciapg.Session) error {
	defer c.evictSession(keyOf(session.ID), &c.stats.evictedLocal)
	return c.next.SetSession(ctx, session)
}

// SetSessionForKey implements luciapg.SessionAdapter through the next
// adapter, evicting as SetSession does.
func (c *Cache) SetSessionForKey(ctx context.Context, session luciapg.Session, keyID, checkedHash string, rehash *string) error {
	defer c.evictSession(keyOf(session.ID), &c.stats.evictedLocal)
	return c.next.SetSessionForKey(ctx, session, keyID, checkedHash, rehash)
}

// ExtendSession implements luciapg.SessionAdapter through the next adapter
// and evicts the session; the next read caches the new expiries.
func (c *Cache) ExtendSession(ctx context.Context, sessionID string, activeExpires, idleExpires int64) (luciapg.Session, error) {
	defer c.evictSession(keyOf(sessionID), &c.stats.evictedLocal)
	return c.next.ExtendSession(ctx, sessionID, activeExpires, idleExpires)
}

// DeleteSession implements luciapg.SessionAdapter through the next adapter
// and evicts the session.
func (c *Cache) DeleteSession(ctx context.Context, sessionID string) error {
	defer c.revokedSession(keyOf(sessionID))
	return c.next.DeleteSession(ctx, sessionID)
}

// DeleteSessionsByUserID implements luciapg.SessionAdapter through the next
// adapter and evicts the user's cached sessions.
func (c *Cache) DeleteSessionsByUserID(ctx context.Context, userID string) error {
	defer c.revokedUser(keyOf(userID))
	return c.next.DeleteSessionsByUserID(ctx, userID)
}
