package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/luciapg/luciapg"
)

// The Cache's luciapg.AuditAdapter: every call goes to the next adapter
// as it is. An audit event a write carries in its context
// (luciapg.WithAuditEvent) reaches the next adapter with the write's
// context, untouched.

var _ luciapg.AuditAdapter = (*Cache)(nil)

// errNoAudit is every AuditAdapter call's error when the next adapter is
// none.
var errNoAudit = fmt.Errorf("sessioncache: the next adapter keeps no audit log (it is no luciapg.AuditAdapter): %w", errors.ErrUnsupported)

// auditLog returns the next adapter as a luciapg.AuditAdapter, or
// errNoAudit.
func (c *Cache) auditLog() (luciapg.AuditAdapter, error) {
	a, ok := c.next.(luciapg.AuditAdapter)
	if !ok {
		return nil, errNoAudit
	}
	return a, nil
}

// RecordAuditEvent implements luciapg.AuditAdapter through the next
// adapter.
func (c *Cache) RecordAuditEvent(ctx context.Context, event luciapg.AuditEvent) error {
	a, err := c.auditLog()
	if err != nil {
		return err
	}
	return a.RecordAuditEvent(ctx, event)
}

// ListAuditEvents implements luciapg.AuditAdapter through the next
// adapter.
func (c *Cache) ListAuditEvents(ctx context.Context, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	a, err := c.auditLog()
	if err != nil {
		return nil, err
	}
	return a.ListAuditEvents(ctx, query)
}

// HasSignedInFrom implements luciapg.AuditAdapter through the next
// adapter.
func (c *Cache) HasSignedInFrom(ctx context.Context, userID, clientAddress, userAgent string) (bool, error) {
	a, err := c.auditLog()
	if err != nil {
		return false, err
	}
	return a.HasSignedInFrom(ctx, userID, clientAddress, userAgent)
}

// PurgeAuditEvents implements luciapg.AuditAdapter through the next
// adapter.
func (c *Cache) PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	a, err := c.auditLog()
	if err != nil {
		return 0, err
	}
	return a.PurgeAuditEvents(ctx, before, limit)
}
