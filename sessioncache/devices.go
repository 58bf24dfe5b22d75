package sessioncache

import (
	"context"
	"errors"
	"fmt"

	"github.com/luciapg/luciapg"
)

// The Cache's luciapg.DeviceAdapter: every call goes to the next adapter
// as it is, and the two revocations evict what they delete as
// DeleteSession and DeleteSessionsByUserID do, once the next adapter
// returns, whether or not it failed (a failed call may still have
// committed). Other processes' caches learn of them from the change log,
// whose triggers log every session delete. Nothing here is cached: a
// user's list of sessions is read on an account page, not per request.

var _ luciapg.DeviceAdapter = (*Cache)(nil)

// errNoDevices is every DeviceAdapter call's error when the next adapter
// is none.
var errNoDevices = fmt.Errorf("sessioncache: the next adapter stores no session metadata (it is no luciapg.DeviceAdapter): %w", errors.ErrUnsupported)

// devices returns the next adapter as a luciapg.DeviceAdapter, or
// errNoDevices.
func (c *Cache) devices() (luciapg.DeviceAdapter, error) {
	d, ok := c.next.(luciapg.DeviceAdapter)
	if !ok {
		return nil, errNoDevices
	}
	return d, nil
}

// GetUserSessionsMetadata implements luciapg.DeviceAdapter through the
// next adapter.
func (c *Cache) GetUserSessionsMetadata(ctx context.Context, userID string) ([]luciapg.SessionMetadata, error) {
	d, err := c.devices()
	if err != nil {
		return nil, err
	}
	return d.GetUserSessionsMetadata(ctx, userID)
}

// DeleteUserSession implements luciapg.DeviceAdapter through the next
// adapter and evicts the session.
func (c *Cache) DeleteUserSession(ctx context.Context, userID, sessionID string) error {
	d, err := c.devices()
	if err != nil {
		return err
	}
	defer c.revokedSession(keyOf(sessionID))
	return d.DeleteUserSession(ctx, userID, sessionID)
}

// DeleteOtherUserSessions implements luciapg.DeviceAdapter through the
// next adapter and evicts the user's cached sessions, the kept one too:
// it is read again on its next use.
func (c *Cache) DeleteOtherUserSessions(ctx context.Context, userID, keepSessionID string) (int64, error) {
	d, err := c.devices()
	if err != nil {
		return 0, err
	}
	defer c.revokedUser(keyOf(userID))
	return d.DeleteOtherUserSessions(ctx, userID, keepSessionID)
}

// RecordSessionsSeen implements luciapg.DeviceAdapter through the next
// adapter. It changes nothing the cache holds.
func (c *Cache) RecordSessionsSeen(ctx context.Context, seen []luciapg.SessionSeen) error {
	d, err := c.devices()
	if err != nil {
		return err
	}
	return d.RecordSessionsSeen(ctx, seen)
}
