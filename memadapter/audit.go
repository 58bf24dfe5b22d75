package memadapter

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// The audit log, append-only as the Store's luciapg_audit_event: events are
// appended in ID order and only ever removed by PurgeAuditEvents. A user's
// deletion leaves its events, as the table has no foreign key.

var _ luciapg.AuditAdapter = (*Adapter)(nil)

// Bounds of AuditQuery.Limit.
const (
	defaultAuditPage = 50
	maxAuditPage     = 1000
)

// maxAuditKindBytes bounds AuditEvent.Kind, as the Store's CHECK does.
const maxAuditKindBytes = 64

// lockForWrite takes the lock for a write method. When ctx carries an
// audit event (luciapg.WithAuditEvent) it is checked first, so a write
// whose event cannot be stored changes nothing; the returned unlock then
// appends the event if the write returned no error, before it releases
// the lock, so that no reader sees the change without its event: what the
// Store's single transaction gives.
func (a *Adapter) lockForWrite(ctx context.Context) (unlock func(err *error), err error) {
	event, audited := luciapg.AuditEventFrom(ctx)
	if audited {
		if err := checkAuditEvent(event); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	return func(err *error) {
		if audited && *err == nil {
			a.appendAuditEvent(event)
		}
		a.mu.Unlock()
	}, nil
}

// checkAuditEvent refuses an event the Store could not store, naming the
// field, never its value.
func checkAuditEvent(event luciapg.AuditEvent) error {
	if event.Kind == "" || len(event.Kind) > maxAuditKindBytes {
		return fmt.Errorf("%w: the audit event's kind is empty or longer than %d bytes", luciapg.ErrInvalidInput, maxAuditKindBytes)
	}
	if err := input.Time("audit event time", event.At); err != nil {
		return err
	}
	if event.UserID != "" {
		if err := input.ID("audit event user id", event.UserID); err != nil {
			return err
		}
	}
	if len(event.UserAgent) > luciapg.MaxUserAgentBytes {
		return fmt.Errorf("%w: the audit event's user agent is longer than %d bytes", luciapg.ErrInvalidInput, luciapg.MaxUserAgentBytes)
	}
	if len(event.Detail) > luciapg.MaxAuditDetailBytes {
		return fmt.Errorf("%w: the audit event's detail is longer than %d bytes", luciapg.ErrInvalidInput, luciapg.MaxAuditDetailBytes)
	}
	for _, field := range []struct{ name, value string }{
		{"kind", event.Kind},
		{"session label", event.SessionLabel},
		{"client address", event.ClientAddress},
		{"user agent", event.UserAgent},
		{"detail", event.Detail},
	} {
		if !input.Storable(field.value) {
			return fmt.Errorf("%w: the audit event's %s contains a NUL byte or invalid UTF-8", luciapg.ErrInvalidInput, field.name)
		}
	}
	return nil
}

// appendAuditEvent appends a checked event with the next ID. The caller
// holds mu.
func (a *Adapter) appendAuditEvent(event luciapg.AuditEvent) {
	a.lastAuditID++
	event.ID = a.lastAuditID
	event.At = microseconds(event.At)
	a.audit = append(a.audit, event)
}

// RecordAuditEvent implements luciapg.AuditAdapter. An event ctx carries
// is ignored: this call appends the one it is given.
func (a *Adapter) RecordAuditEvent(_ context.Context, event luciapg.AuditEvent) error {
	if err := checkAuditEvent(event); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.appendAuditEvent(event)
	return nil
}

// ListAuditEvents implements luciapg.AuditAdapter.
func (a *Adapter) ListAuditEvents(_ context.Context, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	limit, err := auditPageSize(query)
	if err != nil {
		return nil, err
	}
	since := microseconds(query.Since)
	a.mu.Lock()
	defer a.mu.Unlock()
	page := []luciapg.AuditEvent{}
	for i := len(a.audit) - 1; i >= 0 && len(page) < limit; i-- {
		e := a.audit[i]
		switch {
		case query.Before != 0 && e.ID >= query.Before,
			query.UserID != "" && e.UserID != query.UserID,
			!query.Since.IsZero() && e.At.Before(since):
			continue
		}
		page = append(page, e)
	}
	return page, nil
}

// auditPageSize returns the query's page size, refusing a limit or cursor
// out of range.
func auditPageSize(query luciapg.AuditQuery) (int, error) {
	if query.Before < 0 {
		return 0, fmt.Errorf("%w: the audit query's Before is negative", luciapg.ErrInvalidInput)
	}
	switch {
	case query.Limit == 0:
		return defaultAuditPage, nil
	case query.Limit < 0 || query.Limit > maxAuditPage:
		return 0, fmt.Errorf("%w: the audit query's limit is not between 1 and %d", luciapg.ErrInvalidInput, maxAuditPage)
	}
	return query.Limit, nil
}

// HasSignedInFrom implements luciapg.AuditAdapter.
func (a *Adapter) HasSignedInFrom(_ context.Context, userID, clientAddress, userAgent string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.audit {
		if (e.Kind == luciapg.AuditSignUp || e.Kind == luciapg.AuditLogin) &&
			e.UserID == userID && e.ClientAddress == clientAddress && e.UserAgent == userAgent {
			return true, nil
		}
	}
	return false, nil
}

// PurgeAuditEvents implements luciapg.AuditAdapter.
func (a *Adapter) PurgeAuditEvents(_ context.Context, before time.Time, limit int) (int64, error) {
	if err := input.Time("purge time", before); err != nil {
		return 0, err
	}
	if limit < 1 || limit > math.MaxInt32 {
		return 0, fmt.Errorf("%w: purge limit %d is not between 1 and %d", luciapg.ErrInvalidInput, limit, math.MaxInt32)
	}
	before = microseconds(before)
	a.mu.Lock()
	defer a.mu.Unlock()
	// Oldest first: by time, then by ID for events of one instant.
	var old []luciapg.AuditEvent
	for _, e := range a.audit {
		if e.At.Before(before) {
			old = append(old, e)
		}
	}
	slices.SortFunc(old, func(x, y luciapg.AuditEvent) int { return cmp.Or(x.At.Compare(y.At), cmp.Compare(x.ID, y.ID)) })
	purged := make(map[int64]bool, min(limit, len(old)))
	for _, e := range old[:min(limit, len(old))] {
		purged[e.ID] = true
	}
	a.audit = slices.DeleteFunc(a.audit, func(e luciapg.AuditEvent) bool { return purged[e.ID] })
	return int64(len(purged)), nil
}
