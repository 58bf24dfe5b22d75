package memadapter

import (
	"context"
	"maps"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// Pending email changes, one per user as the Store's luciapg_email_change
// (keyed by user id, deleted with the user). An expired change stays until
// PurgeExpiredEmailChanges or a replacement, as in the Store.

var _ luciapg.EmailChangeAdapter = (*Adapter)(nil)

// SetEmailChange implements luciapg.EmailChangeAdapter. CreatedAt is the
// storage's clock, whatever change says.
func (a *Adapter) SetEmailChange(ctx context.Context, change luciapg.EmailChange) (err error) {
	if err := input.EmailChange(change.UserID, change.NewEmail, change.TokenID, change.Expires); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, ok := a.users[change.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	change.Expires, change.CreatedAt = microseconds(change.Expires), storageNow()
	a.emailChanges[change.UserID] = change
	return nil
}

// liveEmailChange returns the user's change unless there is none or it
// expired before now. The caller holds mu.
func (a *Adapter) liveEmailChange(userID string, now time.Time) (luciapg.EmailChange, bool) {
	change, ok := a.emailChanges[userID]
	return change, ok && !change.Expires.Before(microseconds(now))
}

// GetEmailChange implements luciapg.EmailChangeAdapter.
func (a *Adapter) GetEmailChange(_ context.Context, userID string, now time.Time) (luciapg.EmailChange, error) {
	if err := input.Time("now", now); err != nil {
		return luciapg.EmailChange{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	change, ok := a.liveEmailChange(userID, now)
	if !ok {
		return luciapg.EmailChange{}, luciapg.ErrEmailChangeNotFound
	}
	return change, nil
}

// ConsumeEmailChange implements luciapg.EmailChangeAdapter: the check and
// the delete happen under one hold of the lock. A change asked with
// another token id is left as it is.
func (a *Adapter) ConsumeEmailChange(ctx context.Context, userID, tokenID string, now time.Time) (_ luciapg.EmailChange, err error) {
	if err := input.Time("now", now); err != nil {
		return luciapg.EmailChange{}, err
	}
	if !input.Findable(userID) || !input.Findable(tokenID) {
		return luciapg.EmailChange{}, luciapg.ErrEmailChangeNotFound
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return luciapg.EmailChange{}, err
	}
	defer unlock(&err)
	change, ok := a.liveEmailChange(userID, now)
	if !ok || change.TokenID != tokenID {
		return luciapg.EmailChange{}, luciapg.ErrEmailChangeNotFound
	}
	delete(a.emailChanges, userID)
	return change, nil
}

// DeleteEmailChange implements luciapg.EmailChangeAdapter. A user id no
// user could have is a no-op that records no event, as in the Store.
func (a *Adapter) DeleteEmailChange(ctx context.Context, userID string) (err error) {
	if !input.Findable(userID) {
		return nil
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	delete(a.emailChanges, userID)
	return nil
}

// PurgeExpiredEmailChanges implements luciapg.EmailChangeAdapter.
func (a *Adapter) PurgeExpiredEmailChanges(_ context.Context, before time.Time) (int64, error) {
	if err := input.Time("purge time", before); err != nil {
		return 0, err
	}
	before = microseconds(before)
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.emailChanges)
	maps.DeleteFunc(a.emailChanges, func(_ string, c luciapg.EmailChange) bool { return c.Expires.Before(before) })
	return int64(n - len(a.emailChanges)), nil
}
