package luciapg

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// The Store's luciapg.AuditAdapter: the audit log, luciapg_audit_event.
// Events written with the change they record go through store_records.go;
// RecordAuditEvent is for those that record no change.

var _ AuditAdapter = (*Store)(nil)

// RecordAuditEvent implements AuditAdapter with one INSERT. It ignores an
// audit event in ctx: event is the one it writes. Its user agent is cut to
// MaxUserAgentBytes, as a session origin's is, rather than refused.
func (s *Store) RecordAuditEvent(ctx context.Context, event AuditEvent) error {
	params, err := auditEventParams(event)
	if err != nil {
		return err
	}
	return interpretError(s.queries.InsertAuditEvent(ctx, params))
}

// ListAuditEvents implements AuditAdapter in one statement, keyset-paged
// on the event id: a page costs the same however deep in the log it is.
func (s *Store) ListAuditEvents(ctx context.Context, query AuditQuery) ([]AuditEvent, error) {
	limit, err := input.AuditPage(query.Since, query.Before, query.Limit)
	if err != nil {
		return nil, err
	}
	before := query.Before
	if before == 0 {
		before = math.MaxInt64
	}
	// The zero Since drops nothing: -infinity is before every event.
	since := pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	if !query.Since.IsZero() {
		since = timestamptz(query.Since)
	}
	if query.UserID == "" {
		return s.auditEvents(ctx, dbgen.ListAuditEvents, before, since, limit)
	}
	if !findable(query.UserID) {
		return []AuditEvent{}, nil
	}
	return s.auditEvents(ctx, dbgen.ListUserAuditEvents, query.UserID, before, since, limit)
}

// auditEvents runs one of the listing statements (their text, scanned
// straight into AuditEvent as collectRows does; see list_queries.go).
func (s *Store) auditEvents(ctx context.Context, sql string, args ...any) ([]AuditEvent, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, interpretError(err)
	}
	var (
		e                                         AuditEvent
		at                                        pgtype.Timestamptz
		userID, label, address, userAgent, detail *string
	)
	events := []AuditEvent{}
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &at, &e.Kind, &userID, &label, &address, &userAgent, &detail}, func() error {
		e.At = timeOf(at)
		e.UserID, e.SessionLabel, e.ClientAddress = textOf(userID), textOf(label), textOf(address)
		e.UserAgent, e.Detail = textOf(userAgent), textOf(detail)
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, interpretError(err)
	}
	return events, nil
}

// HasSignedInFrom implements AuditAdapter with one EXISTS on the index of
// sign-ins. The user agent is compared as the log keeps it (cut to
// MaxUserAgentBytes).
func (s *Store) HasSignedInFrom(ctx context.Context, userID, clientAddress, userAgent string) (bool, error) {
	if !findable(userID) || len(clientAddress) > input.MaxClientAddressBytes || !input.Storable(clientAddress) {
		return false, nil
	}
	found, err := s.queries.HasSignedInFrom(ctx, dbgen.HasSignedInFromParams{
		UserID:        userID,
		ClientAddress: clientAddress,
		UserAgent:     input.UserAgent(userAgent),
	})
	return found, interpretError(err)
}

// PurgeAuditEvents implements AuditAdapter with one DELETE of the oldest
// events, skipping those another purge has locked, so that several
// janitors purge side by side. The Janitor calls it through
// purgeInBatches until a batch comes back short.
func (s *Store) PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	if err := input.Time("purge time", before); err != nil {
		return 0, err
	}
	if err := input.PurgeLimit(limit); err != nil {
		return 0, err
	}
	n, err := s.queries.PurgeAuditEvents(ctx, dbgen.PurgeAuditEventsParams{Before: timestamptz(before), BatchSize: int32(limit)})
	return n, interpretError(err)
}
