package memadapter

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// The audit log, append-only as the Store's luciapg_audit_event: events are
// appended in ID order and only ever removed by PurgeAuditEvents. A user's
// deletion leaves its events, as the table has no foreign key.

var _ luciapg.AuditAdapter = (*Adapter)(nil)

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

// checkAuditEvent refuses an event the Store could not store
// (input.AuditEvent), naming the field, never its value. Its user agent is
// not refused but made storable and cut when appended, as the Store does.
func checkAuditEvent(event luciapg.AuditEvent) error {
	e := event
	return input.AuditEvent(e.At, e.Kind, e.UserID, e.SessionLabel, e.ClientAddress, e.Detail)
}

// appendAuditEvent appends a checked event with the next ID. The caller
// holds mu.
func (a *Adapter) appendAuditEvent(event luciapg.AuditEvent) {
	a.lastAuditID++
	event.ID = a.lastAuditID
	event.At = microseconds(event.At)
	event.UserAgent = input.UserAgent(event.UserAgent)
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
	limit, err := input.AuditPage(query.Since, query.Before, query.Limit)
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

// HasSignedInFrom implements luciapg.AuditAdapter, comparing the user
// agent as the log keeps it (cut to luciapg.MaxUserAgentBytes).
func (a *Adapter) HasSignedInFrom(_ context.Context, userID, clientAddress, userAgent string) (bool, error) {
	userAgent = input.UserAgent(userAgent)
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
	if err := input.PurgeLimit(limit); err != nil {
		return 0, err
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
