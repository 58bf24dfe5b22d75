package replica

import (
	"context"

	"github.com/luciapg/luciapg"
)

// The Router's luciapg.DeviceAdapter: every call goes to the primary's
// Store, never to the standby. A revocation is a write; a user's list of
// sessions is read where the revocation it leads to has already landed,
// so that a session revoked a moment ago is not listed again.

var _ luciapg.DeviceAdapter = (*Router)(nil)

// GetUserSessionsMetadata implements luciapg.DeviceAdapter on the primary.
func (r *Router) GetUserSessionsMetadata(ctx context.Context, userID string) ([]luciapg.SessionMetadata, error) {
	return r.primaryStore.GetUserSessionsMetadata(ctx, userID)
}

// DeleteUserSession implements luciapg.DeviceAdapter on the primary.
func (r *Router) DeleteUserSession(ctx context.Context, userID, sessionID string) error {
	return r.primaryStore.DeleteUserSession(ctx, userID, sessionID)
}

// DeleteOtherUserSessions implements luciapg.DeviceAdapter on the primary.
func (r *Router) DeleteOtherUserSessions(ctx context.Context, userID, keepSessionID string) (int64, error) {
	return r.primaryStore.DeleteOtherUserSessions(ctx, userID, keepSessionID)
}

// RecordSessionsSeen implements luciapg.DeviceAdapter on the primary.
func (r *Router) RecordSessionsSeen(ctx context.Context, seen []luciapg.SessionSeen) error {
	return r.primaryStore.RecordSessionsSeen(ctx, seen)
}
