package replica

import (
	"context"
	"time"

	"github.com/luciapg/luciapg"
)

// The Router's luciapg.EmailChangeAdapter: every call goes to the
// primary's Store. A pending change is read right after it is written
// (the confirmation link can be followed at once), and consumed once.

var _ luciapg.EmailChangeAdapter = (*Router)(nil)

// SetEmailChange implements luciapg.EmailChangeAdapter on the primary.
func (r *Router) SetEmailChange(ctx context.Context, change luciapg.EmailChange) error {
	return r.primaryStore.SetEmailChange(ctx, change)
}

// GetEmailChange implements luciapg.EmailChangeAdapter on the primary.
func (r *Router) GetEmailChange(ctx context.Context, userID string, now time.Time) (luciapg.EmailChange, error) {
	return r.primaryStore.GetEmailChange(ctx, userID, now)
}

// ConsumeEmailChange implements luciapg.EmailChangeAdapter on the primary.
func (r *Router) ConsumeEmailChange(ctx context.Context, userID, tokenID string, now time.Time) (luciapg.EmailChange, error) {
	return r.primaryStore.ConsumeEmailChange(ctx, userID, tokenID, now)
}

// DeleteEmailChange implements luciapg.EmailChangeAdapter on the primary.
func (r *Router) DeleteEmailChange(ctx context.Context, userID string) error {
	return r.primaryStore.DeleteEmailChange(ctx, userID)
}

// PurgeExpiredEmailChanges implements luciapg.EmailChangeAdapter on the
// primary.
func (r *Router) PurgeExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error) {
	return r.primaryStore.PurgeExpiredEmailChanges(ctx, before)
}
