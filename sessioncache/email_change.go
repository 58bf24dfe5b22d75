package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/luciapg/luciapg"
)

// The Cache's luciapg.EmailChangeAdapter: every call goes to the next
// adapter as it is. A pending change is no part of a user's attributes,
// so nothing cached changes; the change of address itself is an
// UpdateUserAttributes, which evicts the user.

var _ luciapg.EmailChangeAdapter = (*Cache)(nil)

// errNoEmailChanges is every EmailChangeAdapter call's error when the
// next adapter is none.
var errNoEmailChanges = fmt.Errorf("sessioncache: the next adapter stores no email changes (it is no luciapg.EmailChangeAdapter): %w", errors.ErrUnsupported)

// emailChanges returns the next adapter as a luciapg.EmailChangeAdapter,
// or errNoEmailChanges.
func (c *Cache) emailChanges() (luciapg.EmailChangeAdapter, error) {
	e, ok := c.next.(luciapg.EmailChangeAdapter)
	if !ok {
		return nil, errNoEmailChanges
	}
	return e, nil
}

// SetEmailChange implements luciapg.EmailChangeAdapter through the next
// adapter.
func (c *Cache) SetEmailChange(ctx context.Context, change luciapg.EmailChange) error {
	e, err := c.emailChanges()
	if err != nil {
		return err
	}
	return e.SetEmailChange(ctx, change)
}

// GetEmailChange implements luciapg.EmailChangeAdapter through the next
// adapter.
func (c *Cache) GetEmailChange(ctx context.Context, userID string, now time.Time) (luciapg.EmailChange, error) {
	e, err := c.emailChanges()
	if err != nil {
		return luciapg.EmailChange{}, err
	}
	return e.GetEmailChange(ctx, userID, now)
}

// ConsumeEmailChange implements luciapg.EmailChangeAdapter through the
// next adapter.
func (c *Cache) ConsumeEmailChange(ctx context.Context, userID, tokenID string, now time.Time) (luciapg.EmailChange, error) {
	e, err := c.emailChanges()
	if err != nil {
		return luciapg.EmailChange{}, err
	}
	return e.ConsumeEmailChange(ctx, userID, tokenID, now)
}

// DeleteEmailChange implements luciapg.EmailChangeAdapter through the next
// adapter.
func (c *Cache) DeleteEmailChange(ctx context.Context, userID string) error {
	e, err := c.emailChanges()
	if err != nil {
		return err
	}
	return e.DeleteEmailChange(ctx, userID)
}

// PurgeExpiredEmailChanges implements luciapg.EmailChangeAdapter through
// the next adapter.
func (c *Cache) PurgeExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error) {
	e, err := c.emailChanges()
	if err != nil {
		return 0, err
	}
	return e.PurgeExpiredEmailChanges(ctx, before)
}
