package main

import (
	"embed"
	"net/http"
)

// contentSecurityPolicy allows the app's own style sheet, its own script
// file (passkeys need navigator.credentials, which only a script can
// call) talking to the app alone, images inline as data: URLs (the
// authenticator app's QR code, made in memory for one answer), and forms
// posting to itself; nothing else: no inline script, no plugin, no
// <base>, and no page on any origin may frame these pages
// (frame-ancestors), so the "sign out of all devices" button cannot be
// clickjacked. formOrigin, when not empty, is one more origin a form may
// lead to: the OAuth provider's, for the link button and "Sign in again
// with ...", whose posts the app answers with a redirect there (the
// browser checks form-action on every redirect of a form's navigation).
func contentSecurityPolicy(formOrigin string) string {
	formAction := "'self'"
	if formOrigin != "" {
		formAction += " " + formOrigin
	}
	return "default-src 'none'; script-src 'self'; connect-src 'self'; img-src data:; style-src 'self'; form-action " + formAction + "; " +
		"frame-ancestors 'none'; base-uri 'none'"
}

// strictTransportSecurity keeps browsers on HTTPS for a year once they
// have seen it over HTTPS. Not includeSubDomains: other sites may share
// the domain.
const strictTransportSecurity = "max-age=31536000"

// securityHeaders sets the browser's security headers on every answer,
// errors and redirects included. HSTS only when the app serves Secure
// cookies: over plain HTTP in development it would be ignored at best.
// formOrigin is contentSecurityPolicy's.
func securityHeaders(hsts bool, formOrigin string, next http.Handler) http.Handler {
	csp := contentSecurityPolicy(formOrigin)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		// For browsers that predate frame-ancestors.
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// Links to other sites do not carry the page's path and query.
		h.Set("Referrer-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", strictTransportSecurity)
		}
		next.ServeHTTP(w, r)
	})
}

//go:embed static/style.css static/passkey.js
var staticFiles embed.FS

// styleSheet serves the pages' style sheet: a file of its own rather than
// an inline <style>, so the policy needs no 'unsafe-inline'.
func styleSheet(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, staticFiles, "static/style.css")
}

// passkeyScript serves the passkey buttons' script: a file, as the policy
// allows no inline script.
func passkeyScript(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, staticFiles, "static/passkey.js")
}
