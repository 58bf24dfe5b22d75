package luciapg

import (
	"context"
	"time"
)

// The kinds of audit event luciapg's auth core records (AuditEvent.Kind).
// Applications may record kinds of their own (1 to 64 bytes of text).
const (
	AuditSignUp                 = "signup"
	AuditLogin                  = "login"
	AuditLoginFailed            = "login_failed"
	AuditLogout                 = "logout"
	AuditSessionRevoked         = "session_revoked"
	AuditPasswordChanged        = "password_changed"
	AuditPasswordResetRequested = "password_reset_requested"
	AuditPasswordResetCompleted = "password_reset_completed"
	AuditKeyLinked              = "key_linked"
	AuditKeyUnlinked            = "key_unlinked"
	AuditEmailChangeRequested   = "email_change_requested"
	AuditEmailChanged           = "email_changed"
	AuditSecondFactorAdded      = "second_factor_added"
	AuditSecondFactorRemoved    = "second_factor_removed"
)

// MaxAuditDetailBytes bounds AuditEvent.Detail.
const MaxAuditDetailBytes = 256

// AuditEvent is one row of the audit log (luciapg_audit_event): what
// happened to whom, when, from where. It holds no secret: never a session
// id (SessionLabel names the session), a password, a hash, a token or a
// code; Detail is for what is not secret, such as a provider ("github") or
// a factor ("totp").
type AuditEvent struct {
	// ID orders events and pages them; set by the storage.
	ID int64
	// At is when it happened.
	At time.Time
	// Kind is one of the Audit* names, or an application's own.
	Kind string
	// UserID is the user it happened to; empty when there is none (a
	// failed login with an unknown key).
	UserID string
	// SessionLabel names the session it happened in or to (the auth core's
	// SessionLabel: 6 hex characters of the id's hash), or is empty.
	SessionLabel string
	// ClientAddress is the client's address as the throttles key it, or
	// empty.
	ClientAddress string
	// UserAgent is the client's User-Agent; the storage keeps at most
	// MaxUserAgentBytes of it.
	UserAgent string
	// Detail is a short, non-secret note, at most MaxAuditDetailBytes.
	Detail string
}

type auditEventKey struct{}

// WithAuditEvent returns ctx carrying event: a write through a Store (any
// write method of its adapters) made with the returned context appends
// event to the audit log in the write's own transaction, so the log holds
// an event exactly when the change it records committed. The auth core
// sets it around the write each of its actions makes; an application can
// do the same around a write of its own (tokens.IDTokens.Issue of a reset
// link, say). Give each event to one write only: two writes with the same
// context record it twice.
//
// A context rather than a parameter for the same reason as
// WithSessionOrigin: every layer over the Store carries it unchanged.
func WithAuditEvent(ctx context.Context, event AuditEvent) context.Context {
	return context.WithValue(ctx, auditEventKey{}, event)
}

// AuditEventFrom returns the event WithAuditEvent put in ctx, and false
// when there is none: for adapters other than the Store.
func AuditEventFrom(ctx context.Context) (AuditEvent, bool) {
	event, ok := ctx.Value(auditEventKey{}).(AuditEvent)
	return event, ok
}

// AuditQuery selects a page of audit events, newest first.
type AuditQuery struct {
	// UserID selects one user's events; empty selects everyone's.
	UserID string
	// Since drops events before it; the zero time drops none.
	Since time.Time
	// Before continues a listing: only events with an ID below it (the last
	// ID of the previous page); 0 starts at the newest.
	Before int64
	// Limit is the page's size: 1 to 1,000; 0 means 50.
	Limit int
}

// AuditAdapter stores the audit log: append-only (the table refuses
// updates), read newest first, pruned by age by the Janitor. The Store,
// memadapter, sessioncache.Cache and replica.Router implement it (the
// Cache passing every call on, the Router to the primary).
type AuditAdapter interface {
	// RecordAuditEvent appends event on its own, for what changes nothing
	// else (a failed login). ErrInvalidInput names a field that cannot be
	// stored: an empty Kind or one over 64 bytes, a zero At, a Detail over
	// MaxAuditDetailBytes, or text with a NUL byte or invalid UTF-8. A
	// UserAgent is not refused but made storable and cut to
	// MaxUserAgentBytes at a character boundary, as a session origin's is:
	// it is whatever the client sent. A write made with WithAuditEvent
	// checks its event the same way, before writing anything.
	RecordAuditEvent(ctx context.Context, event AuditEvent) error
	// ListAuditEvents returns one page of events, newest first (by ID);
	// fewer than the limit means there are no more.
	ListAuditEvents(ctx context.Context, query AuditQuery) ([]AuditEvent, error)
	// HasSignedInFrom reports whether the user has a sign-up or login event
	// from this client (the same ClientAddress and UserAgent) in the log:
	// what tells a new client from a known one.
	HasSignedInFrom(ctx context.Context, userID, clientAddress, userAgent string) (bool, error)
	// PurgeAuditEvents deletes up to limit events older than before, oldest
	// first, and returns how many: the Janitor's retention, a batch at a
	// time.
	PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error)
}
