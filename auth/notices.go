package auth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
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

// MaxNoticesInFlight bounds the notices an Auth has handed to its Notifier
// and not seen return: a slow or stuck mail server then holds at most this
// many goroutines, and further notices are dropped (with a log line) until
// some return.
const MaxNoticesInFlight = 64

// noticeTimeout bounds one Notify call: its context ends then.
const noticeTimeout = time.Minute

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
func (n Notice) Subject() string {
	switch n.Kind {
	case NoticeNewSignIn:
		return "New sign-in to your account"
	case NoticePasswordChanged:
		return "Your password was changed"
	case NoticeEmailChangeRequested:
		return "A change of your email address was requested"
	case NoticeEmailChanged:
		return "Your email address was changed"
	case NoticeSecondFactorRemoved:
		return "A sign-in protection was removed from your account"
	default:
		return "Security notice about your account"
	}
}

// Body is the notice's plain-text mail body: what happened, when, from
// where, and what to do if it was not the user. It names no place in the
// application (the library knows none): it points to "your account's
// security settings".
func (n Notice) Body() string {
	var b strings.Builder
	b.WriteString(n.what())
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "When: %s\n", n.At.UTC().Format("Monday 2 January 2006, 15:04 UTC"))
	fmt.Fprintf(&b, "From: %s\n", orUnknown(cleanText(n.ClientAddress, maxClientAddressBytes), "an unknown address"))
	fmt.Fprintf(&b, "Device: %s\n", orUnknown(cleanText(n.Device, maxDeviceBytes), "an unknown device"))
	b.WriteString("\n")
	b.WriteString(n.ifNotYou())
	b.WriteString("\n")
	return b.String()
}

// maxDeviceBytes bounds the device description a notice prints.
const maxDeviceBytes = 200

// what is the body's first paragraph.
func (n Notice) what() string {
	switch n.Kind {
	case NoticeNewSignIn:
		return "Your account was signed in to from a device or place it had not been signed in from before."
	case NoticePasswordChanged:
		return "The password of your account was changed."
	case NoticeEmailChangeRequested:
		return "Someone signed in to your account asked to change its email address. This address stays the account's unless the link sent to the new address is followed."
	case NoticeEmailChanged:
		return "The email address of your account was changed: this address is no longer the account's, and mail about it now goes to the new one."
	case NoticeSecondFactorRemoved:
		return "A sign-in protection was removed from your account: " + secondFactorName(n.Detail) + "."
	default:
		return "Something changed in the security of your account."
	}
}

// ifNotYou is the body's advice.
func (n Notice) ifNotYou() string {
	const secure = "change your password and sign out your other sessions in your account's security settings"
	switch n.Kind {
	case NoticeEmailChangeRequested:
		return "If this was you, there is nothing to do. If it was not, someone else may be signed in to your account: " + secure + ", and the change will not happen."
	case NoticeEmailChanged:
		return "If this was you, there is nothing to do. If it was not, someone else has taken over your account, and its mail, password resets included, now goes to the new address: contact the site's support at once."
	default:
		return "If this was you, there is nothing to do. If it was not, " + secure + ", at once."
	}
}

// secondFactorName says in words which second factor a detail names.
func secondFactorName(detail string) string {
	switch detail {
	case "totp":
		return "an authenticator app"
	case "passkey":
		return "a passkey"
	case "recovery_codes":
		return "the recovery codes"
	default:
		return "a second factor"
	}
}

func orUnknown(s, unknown string) string {
	if s == "" {
		return unknown
	}
	return s
}

// Notifier sends security notices, usually as mail. The core calls it in
// the background after the action it reports committed (for an action in
// the application's own transaction, see HoldNotices): sending never
// blocks or fails that action, and a Notify error is logged, not returned.
// ctx keeps the values of the action's context but not its end, and ends
// after a minute; at most MaxNoticesInFlight calls run at once, and a
// panic in one is recovered and logged.
type Notifier interface {
	Notify(ctx context.Context, notice Notice) error
}

// NotifierFunc makes a function a Notifier.
type NotifierFunc func(ctx context.Context, notice Notice) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, notice Notice) error { return f(ctx, notice) }

// Notify sends notice through Config.Notifier in the background, as the
// core sends its own: for packages that make changes of their own to
// report, such as auth/tokens and auth/passkey. Its zero At is now, and
// an empty ClientAddress and Device are the client's in ctx (see
// WithClient). Call it once the change committed, or on an Auth made by
// HoldNotices, which holds it until Send. Without a Notifier it does
// nothing; it never blocks.
func (a *Auth) Notify(ctx context.Context, notice Notice) {
	if a.notifier == nil {
		return
	}
	if notice.At.IsZero() {
		notice.At = a.now()
	}
	r := raisedNotice{s: a.shared, ctx: ctx, notice: notice}
	if notice.ClientAddress == "" && notice.Device == "" {
		r.notice.ClientAddress, r.userAgent = a.clientOf(ctx)
	}
	if a.held != nil {
		a.held.add(r)
		return
	}
	r.send()
}

// raisedNotice is a notice raised by an action, with what sending it
// needs.
type raisedNotice struct {
	s   *shared
	ctx context.Context
	// notice has its time and client address; userAgent is the client's
	// user agent, described when the notice is sent.
	notice    Notice
	userAgent string
}

// send sends r in the background, unless MaxNoticesInFlight are being
// sent already.
func (r raisedNotice) send() {
	s, ctx, notice := r.s, r.ctx, r.notice
	select {
	case s.noticeTurns <- struct{}{}:
	default:
		slog.WarnContext(ctx, "auth: a security notice was dropped: too many are being sent", slog.String("kind", string(notice.Kind)))
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.startSending()
	go func() {
		defer func() { <-s.noticeTurns }()
		defer s.doneSending()
		defer func() {
			if rec := recover(); rec != nil {
				slog.ErrorContext(ctx, "auth: sending a security notice panicked", slog.String("kind", string(notice.Kind)), slog.String("panic", fmt.Sprintf("%T", rec)))
			}
		}()
		if r.userAgent != "" {
			// Here, not in the action: DescribeDevice is the
			// application's, and may be slow or panic.
			notice.Device = s.describeDevice(r.userAgent)
		}
		ctx, cancel := context.WithTimeout(ctx, noticeTimeout)
		defer cancel()
		if err := s.notifier.Notify(ctx, notice); err != nil {
			slog.ErrorContext(ctx, "auth: sending a security notice failed", slog.String("kind", string(notice.Kind)), slog.Any("error", err))
		}
	}()
}

// describeDevice is Config.DescribeDevice of userAgent, or userAgent.
func (s *shared) describeDevice(userAgent string) string {
	if s.deviceDescriber == nil {
		return userAgent
	}
	return s.deviceDescriber(userAgent)
}
