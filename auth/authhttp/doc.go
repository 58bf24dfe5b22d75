// Package authhttp is the net/http glue of package auth: the session
// cookie, a middleware that validates it on every request, and CSRF
// protection by the standard library's http.CrossOriginProtection — Lucia
// v1's AuthRequest, for Go handlers.
//
// Wrap a handler with Sessions.Middleware. For each request it
//
//  1. refuses (403) an unsafe request (not GET, HEAD or OPTIONS) that a
//     browser says is cross-origin: its Sec-Fetch-Site header is
//     cross-site or same-site, or, from a browser too old to send that
//     header, its Origin's host differs from the request's Host — unless
//     the Origin is one of Config.TrustedOrigins. A request with neither
//     header passes, as the standard library decides: browsers send them,
//     so it comes from a non-browser client (curl, another server), which
//     CSRF does not concern (see Sessions.CheckCrossOrigin);
//  2. puts the client's address (Sessions.ClientAddress: the direct peer,
//     or the right-most entry of Config.ClientAddressHeader behind a
//     trusted proxy) and User-Agent header into the context
//     (auth.WithClient), where auth.UseKey and auth.UsePasswordlessKey
//     find the address and throttle attempts per address, and where the
//     sessions, audit events and notices the core makes find their origin;
//  3. validates the session in the auth_session cookie, if any: an invalid
//     or dead session gets the cookie cleared; an idle one is renewed in
//     place (same id, later expiry) and the cookie set again;
//  4. puts the session and its user into the request's context, where
//     FromContext finds them.
//
// Log in with Sessions.Login after checking credentials (auth.UseKey),
// answer a throttled attempt with TooManyAttempts (429 and Retry-After),
// and log out with Sessions.Logout, which ends the session the request
// presented.
//
// For users with a second factor (docs/second-factors.md), log in with
// Sessions.BeginLogin, which sets the session cookie or, when a second
// step is needed, a pending-login cookie ("__Host-luciapg_pending_login");
// the second-step handler reads it with PendingLoginToken, finishes with
// auth.Auth.CompleteLoginWithTOTP (or another CompleteLogin…) and calls
// CompleteLogin. Guard routes with RequireSecondFactor (a session a Lucia
// v1 app made, after a password alone, has not proven one) and sensitive
// ones with RequireSudo; both send a GET to a configured page with a next
// parameter that NextPath reads back, never as another site's address.
//
// An account page lists where the user is signed in with
// Sessions.ListSessions, ends a session with Sessions.RevokeSession (by
// its label) or every other one with Sessions.RevokeOtherSessions, and
// shows recent activity with Sessions.AuditEvents, which reads only the
// request's own user's events whatever the query asks.
//
// The cookie is HttpOnly, SameSite=Lax, Path=/, Secure (unless
// Config.LocalDevelopment, and nothing else, turns it off), and expires
// with the session's idle period.
package authhttp
