package auth

import (
	"context"
	"time"
)

// NoticeKind says what a security notice reports.
type NoticeKind string

// The notices the core sends through Config.Notifier.
const (
	// NoticeNewSignIn: a sign-in from a client (address and user agent)
	// not seen before for the user.
	NoticeNewSignIn NoticeKind = "new_sign_in"
	// NoticePasswordChanged: the user's password was changed or reset.
	NoticePasswordChanged NoticeKind = "password_changed"
	// NoticeEmailChangeRequested: a change of the user's email address was
	// asked for; sent to the current (old) address, Notice.To.
	NoticeEmailChangeRequested NoticeKind = "email_change_requested"
	// NoticeEmailChanged: the user's email address was changed; sent to
	// the old address, Notice.To.
	NoticeEmailChanged NoticeKind = "email_changed"
	// NoticeSecondFactorRemoved: an authenticator app, a passkey or every
	// second factor was removed.
	NoticeSecondFactorRemoved NoticeKind = "second_factor_removed"
)

// Notice is a security notice to a user: what happened, when, from where.
// It holds no secret (no session id, token, code or password).
type Notice struct {
	Kind   NoticeKind
	UserID string
	// To is the address to send it to when it is not the user's current
	// one (the old address of an email change); empty otherwise, and the
	// application sends to the user's address.
	To string
	// At is when it happened.
	At time.Time
	// ClientAddress is where from (as the throttles key it), or empty.
	ClientAddress string
	// Device describes the client in plain words (Config.DescribeDevice
	// of its user agent), or is empty.
	Device string
	// Detail is what was removed or added ("totp", "passkey"), or empty.
	Detail string
}

// Subject is the notice's mail subject.
func (n Notice) Subject() string { return string(n.Kind) }

// Body is the notice's plain-text mail body: what happened, when, from
// where, and what to do if it was not the user.
func (n Notice) Body() string { return string(n.Kind) }

// MaxNoticesInFlight bounds the notices an Auth has handed to its Notifier
// and not seen return: a slow or stuck mail server then holds at most this
// many goroutines, and further notices are dropped (with a log line) until
// some return.
const MaxNoticesInFlight = 64

// Notifier sends security notices, usually as mail. The core calls it in
// the background after the action it reports committed: sending never
// blocks or fails that action, and a Notify error is logged, not returned.
type Notifier interface {
	Notify(ctx context.Context, notice Notice) error
}

// NotifierFunc makes a function a Notifier.
type NotifierFunc func(ctx context.Context, notice Notice) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, notice Notice) error { return f(ctx, notice) }
