// Package e2e tests auth/oauth end to end against a real OAuth 2.0
// authorization server on loopback (internal/oauthprovider, built on
// github.com/go-oauth2/oauth2/v4, PKCE S256 forced), with the users and
// keys in PostgreSQL.
//
// It is a module of its own so that the server library never reaches the
// library module's go.sum. Like the repository's other submodules it
// requires the library, and the provider's module, at the placeholder
// v0.0.0-00010101000000-000000000000 with no replace: go.work maps those
// onto their directories here (see the Makefile and .ci/modules).
package e2e
