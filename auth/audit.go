package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/luciapg/luciapg"
)

// auditRecordTimeout bounds the write of an event recorded on its own (a
// failed login), which outlives the request's cancellation: a client that
// hangs up after a wrong password must not keep the attempt out of the log.
const auditRecordTimeout = 5 * time.Second

// errAuditUnavailable says why the audit log cannot be read.
var errAuditUnavailable = fmt.Errorf("%w: auth: the adapter is no luciapg.AuditAdapter", ErrAuditUnavailable)

// audits returns the adapter as a luciapg.AuditAdapter, and false when it
// keeps no audit log: then the core records nothing, and no action fails
// for it.
func (a *Auth) audits() (luciapg.AuditAdapter, bool) {
	aa, ok := a.adapter.(luciapg.AuditAdapter)
	return aa, ok
}

// auditEvent is an event of kind for the user, now, from the client in
// ctx, in the session sessionID names (by its label; none for ""), with a
// detail cut to what the log keeps.
func (a *Auth) auditEvent(ctx context.Context, kind, userID, sessionID, detail string) luciapg.AuditEvent {
	address, userAgent := a.clientOf(ctx)
	event := luciapg.AuditEvent{
		At:            a.now(),
		Kind:          kind,
		UserID:        userID,
		ClientAddress: address,
		UserAgent:     userAgent,
		Detail:        cleanText(detail, luciapg.MaxAuditDetailBytes),
	}
	if sessionID != "" {
		event.SessionLabel = SessionLabel(sessionID)
	}
	return event
}

// withAuditEvent returns ctx for the one write that makes a change: it
// carries the change's event when the adapter keeps a log, and is ctx as
// it is otherwise. Give the result to that write only (see
// luciapg.WithAuditEvent).
func (a *Auth) withAuditEvent(ctx context.Context, kind, userID, sessionID, detail string) context.Context {
	if _, ok := a.audits(); !ok {
		return ctx
	}
	return luciapg.WithAuditEvent(ctx, a.auditEvent(ctx, kind, userID, sessionID, detail))
}

// recordLoginFailure records a failed login attempt on its own (a refusal
// changes nothing to record it with): userID when the key's user is
// known, and detail saying what failed ("password", "totp",
// "recovery_code", "throttled"), never the key id or what was tried. A
// failure to record is logged, not returned: the attempt's answer is the
// refusal. Known and unknown keys are recorded alike, so that the cost of
// a refusal still says nothing of whether the key exists.
func (a *Auth) recordLoginFailure(ctx context.Context, userID, detail string) {
	aa, ok := a.audits()
	if !ok {
		return
	}
	event := a.auditEvent(ctx, luciapg.AuditLoginFailed, userID, "", detail)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditRecordTimeout)
	defer cancel()
	if err := aa.RecordAuditEvent(ctx, event); err != nil {
		slog.ErrorContext(ctx, "auth: recording a failed login in the audit log failed", slog.String("detail", event.Detail), slog.Any("error", err))
	}
}

// AuditContext returns ctx carrying an audit event of kind for the user,
// with the time, the client's address and user agent from ctx, the label
// of sessionID (never the id; empty for none) and detail (no secret; cut
// to luciapg.MaxAuditDetailBytes): the next write made with it records the
// event in its transaction (see luciapg.WithAuditEvent). For an
// application's own events, such as a password reset requested. Give the
// result to the one call that makes the change: each write made with it
// records the event, and an adapter that keeps no log ignores it.
//
// The core's own methods record their events themselves; given a context
// that already carries one, UpdateKeyPassword records that one instead of
// its password_changed (a password_reset_completed, say), and
// InvalidateSession instead of its logout.
func (a *Auth) AuditContext(ctx context.Context, kind, userID, sessionID, detail string) context.Context {
	return luciapg.WithAuditEvent(ctx, a.auditEvent(ctx, kind, userID, sessionID, detail))
}

// AuditEvents returns a page of the audit log, newest first (see
// luciapg.AuditQuery); ErrAuditUnavailable when the adapter keeps none.
// query.UserID empty reads every user's events: to show a user their own,
// set it to theirs (authhttp's AuditEvents always does).
func (a *Auth) AuditEvents(ctx context.Context, query luciapg.AuditQuery) ([]luciapg.AuditEvent, error) {
	aa, ok := a.audits()
	if !ok {
		return nil, errAuditUnavailable
	}
	return aa.ListAuditEvents(ctx, query)
}

// hasAuditEvent reports whether ctx already carries an event: an
// application's own, which then takes the place of the core's.
func hasAuditEvent(ctx context.Context) bool {
	_, ok := luciapg.AuditEventFrom(ctx)
	return ok
}

// What a login_failed event's detail says failed.
const (
	failedPassword     = "password"
	failedTOTP         = luciapg.FactorTOTP
	failedRecoveryCode = luciapg.FactorRecoveryCode
	failedThrottled    = "throttled"
)

// refuseCode records a wrong one-time or recovery code of the user and
// returns ErrInvalidCode.
func (a *Auth) refuseCode(ctx context.Context, userID, detail string) error {
	a.recordLoginFailure(ctx, userID, detail)
	return ErrInvalidCode
}

// recordIfThrottled records an attempt of the user refused by err before
// anything was checked, when err is a throttle's refusal.
func (a *Auth) recordIfThrottled(ctx context.Context, userID string, err error) {
	if errors.Is(err, ErrTooManyAttempts) {
		a.recordLoginFailure(ctx, userID, failedThrottled)
	}
}
