package replica

import (
	"context"
	"time"

	"github.com/luciapg/luciapg"
)

// The Router's luciapg.AuditAdapter: every call goes to the primary's
// Store. HasSignedInFrom decides whether a sign-in gets a new-client
// notice, right after the sign-in's own event was written: a standby's
// lag would make every client look new.

var _ luciapg.AuditAdapter = (*Router)(nil)

// RecordAuditEvent implements luciapg.AuditAdapter on the primary.
func (r *Router) RecordAuditEvent(ctx context.Context, event luciapg.AuditEvent) error {
	return r.primaryStore.RecordAuditEvent(ctx, event)
}

// ListAuditEvents implements luciapg.AuditAdapter on the primary.
func (r *Router) ListAuditEvents(ctx context.Context, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	return r.primaryStore.ListAuditEvents(ctx, query)
}

// HasSignedInFrom implements luciapg.AuditAdapter on the primary.
func (r *Router) HasSignedInFrom(ctx context.Context, userID, clientAddress, userAgent string) (bool, error) {
	return r.primaryStore.HasSignedInFrom(ctx, userID, clientAddress, userAgent)
}

// PurgeAuditEvents implements luciapg.AuditAdapter on the primary.
func (r *Router) PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	return r.primaryStore.PurgeAuditEvents(ctx, before, limit)
}
