package auth

import (
	"context"
	"log/slog"
	"strings"

	"github.com/luciapg/luciapg"
)

// firstLoginPage is how many of a user's latest events isNewClient reads
// to tell a user's first login (no login among them, and no more events)
// from a login from a new client.
const firstLoginPage = 50

// sessionContext returns ctx for the one write that inserts row: it
// carries the session's origin (now, and the client in ctx), and its
// login event when the adapter keeps a log, with the factors that made it
// ("password+totp"; none when the caller proved the user itself, as for
// CreateSession).
func (a *Auth) sessionContext(ctx context.Context, row luciapg.Session, factors []string) context.Context {
	// The session's origin and its login event are one moment, from one
	// client: the event's time and client are the origin's.
	event := a.auditEvent(ctx, luciapg.AuditLogin, row.UserID, row.ID, strings.Join(factors, "+"))
	wctx := luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: event.At, ClientAddress: event.ClientAddress, UserAgent: event.UserAgent})
	if _, ok := a.audits(); !ok {
		return wctx
	}
	return luciapg.WithAuditEvent(wctx, event)
}

// newClientLogin is a login about to be written: whether it comes from a
// client the user has not signed in from before, decided before the
// login's own event is.
type newClientLogin struct {
	userID string
	isNew  bool
}

// checkNewClient decides, before a login of the user is written, whether
// it comes from a new client (see isNewClient), when there is a Notifier
// to tell; it costs nothing otherwise.
func (a *Auth) checkNewClient(ctx context.Context, userID string) newClientLogin {
	return newClientLogin{userID: userID, isNew: a.isNewClient(ctx, userID)}
}

// loggedInFrom sends the new sign-in notice, once the login committed, if
// checkNewClient said the client was new.
func (a *Auth) loggedInFrom(ctx context.Context, login newClientLogin) {
	if login.isNew {
		a.Notify(ctx, Notice{Kind: NoticeNewSignIn, UserID: login.userID})
	}
}

// isNewClient reports whether a login of the user from the client in ctx
// deserves a new sign-in notice: there is a Notifier, the adapter keeps a
// log, ctx says something of the client, the log holds no sign-up or login
// of the user from that client (address and user agent), and the user has
// logged in before (their first session, the sign-up's, is not news). A
// failure to read the log is logged and sends nothing: a notice never
// costs the login.
func (a *Auth) isNewClient(ctx context.Context, userID string) bool {
	aa, ok := a.audits()
	if !ok || a.notifier == nil {
		return false
	}
	address, userAgent := a.clientOf(ctx)
	if address == "" && userAgent == "" {
		return false
	}
	known, err := aa.HasSignedInFrom(ctx, userID, address, userAgent)
	if err != nil {
		slog.ErrorContext(ctx, "auth: reading the audit log for a new sign-in notice failed", slog.Any("error", err))
		return false
	}
	if known {
		return false
	}
	// A full page without a login says nothing of the events before it
	// (a guesser's failures can fill it): only a user whose whole history
	// fits and holds no login is logging in for the first time.
	latest, err := aa.ListAuditEvents(ctx, luciapg.AuditQuery{UserID: userID, Limit: firstLoginPage})
	if err != nil {
		slog.ErrorContext(ctx, "auth: reading the audit log for a new sign-in notice failed", slog.Any("error", err))
		return false
	}
	if len(latest) == firstLoginPage {
		return true
	}
	for _, event := range latest {
		if event.Kind == luciapg.AuditLogin {
			return true
		}
	}
	return false
}
