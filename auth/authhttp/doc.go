// Package authhttp is the net/http glue of package auth: the session
// cookie, a middleware that validates it on every request, and CSRF
// protection by Origin checking — Lucia v1's AuthRequest, for Go handlers.
//
// Wrap a handler with Sessions.Middleware. For each request it
//
//  1. refuses (403) a request whose method is not GET or HEAD unless its
//     Origin header is the request's own origin or a trusted one — the
//     browser sets Origin and a cross-site page cannot forge it;
//  2. validates the session in the auth_session cookie, if any: an invalid
//     or dead session gets the cookie cleared; an idle one is renewed and
//     the new cookie set;
//  3. puts the session and its user into the request's context, where
//     FromContext finds them.
//
// Log in with Sessions.Login after checking credentials (auth.UseKey), log
// out with Sessions.Logout.
//
// The cookie is HttpOnly, SameSite=Lax, Path=/, Secure (unless
// Config.LocalDevelopment), and expires with the session's idle period.
package authhttp
