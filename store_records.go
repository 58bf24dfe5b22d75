package luciapg

import (
	"context"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

// The records a write's context carries (WithAuditEvent, WithSessionOrigin)
// are written here and nowhere else, in the write's own transaction. A
// context that carries neither costs nothing: the write runs exactly the
// statements it ran before these records existed, with no transaction
// added.

// audited runs write, the body of a Store write method, on s. When ctx
// carries an audit event, write runs instead on a Store in a transaction
// of its own (a savepoint in a caller's), and the event is appended after
// it succeeds: the event commits exactly when the write does. An event the
// log cannot hold is refused before anything is written.
func (s *Store) audited(ctx context.Context, write func(s *Store) error) error {
	event, ok := AuditEventFrom(ctx)
	if !ok {
		return write(s)
	}
	params, err := auditEventParams(event)
	if err != nil {
		return err
	}
	return s.inTxStore(ctx, func(tx *Store) error {
		if err := write(tx); err != nil {
			return err
		}
		return tx.queries.InsertAuditEvent(ctx, params)
	})
}

// auditedValue is audited for a write that returns a value.
func auditedValue[T any](ctx context.Context, s *Store, write func(s *Store) (T, error)) (T, error) {
	var out T
	err := s.audited(ctx, func(s *Store) error {
		var err error
		out, err = write(s)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// auditEventParams checks event (input.AuditEvent) and returns its row,
// its user agent cut to MaxUserAgentBytes and empty text as NULL.
func auditEventParams(event AuditEvent) (dbgen.InsertAuditEventParams, error) {
	e := event
	if err := input.AuditEvent(e.At, e.Kind, e.UserID, e.SessionLabel, e.ClientAddress, e.Detail); err != nil {
		return dbgen.InsertAuditEventParams{}, err
	}
	return dbgen.InsertAuditEventParams{
		At:            timestamptz(e.At),
		Kind:          e.Kind,
		UserID:        textOrNull(e.UserID),
		SessionLabel:  textOrNull(e.SessionLabel),
		ClientAddress: textOrNull(e.ClientAddress),
		UserAgent:     textOrNull(input.UserAgent(e.UserAgent)),
		Detail:        textOrNull(e.Detail),
	}, nil
}

// sessionInsert is how a session is inserted: the row of
// InsertSessionWithRecord when ctx carries an origin, and none (Lucia's
// plain InsertSession) otherwise. An origin the metadata cannot hold is
// refused before anything is written.
func sessionInsert(ctx context.Context, session Session) (*dbgen.InsertSessionWithRecordParams, error) {
	origin, ok := SessionOriginFrom(ctx)
	if !ok {
		return nil, nil
	}
	if err := input.SessionOrigin(origin.At, origin.ClientAddress); err != nil {
		return nil, err
	}
	return &dbgen.InsertSessionWithRecordParams{
		ID:            session.ID,
		UserID:        session.UserID,
		ActiveExpires: session.ActiveExpires,
		IdleExpires:   session.IdleExpires,
		CreatedAt:     timestamptz(origin.At),
		ClientAddress: textOrNull(origin.ClientAddress),
		UserAgent:     textOrNull(input.UserAgent(origin.UserAgent)),
	}, nil
}

// insertSession inserts session with q, with its metadata row in the same
// statement when withRecord (sessionInsert's) is not nil.
func insertSession(ctx context.Context, q *dbgen.Queries, session Session, withRecord *dbgen.InsertSessionWithRecordParams) error {
	if withRecord == nil {
		return q.InsertSession(ctx, insertSessionParams(session))
	}
	return q.InsertSessionWithRecord(ctx, *withRecord)
}
