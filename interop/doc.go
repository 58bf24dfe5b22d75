// Package interop holds tests that run luciapg next to a real Lucia v1
// JavaScript app on one database: lucia-auth 1.8.0 with
// @lucia-auth/adapter-postgresql 1.0.1 and @lucia-auth/tokens 1.0.2, as pinned
// in lucia-v1/package-lock.json and driven by lucia-v1/lucia.js. Each test
// proves that rows one side writes (users, password keys, sessions,
// renewals, deletions, verification and reset tokens, one-time codes) mean
// the same to the other.
//
// The tests need Node.js (18 or later) and the pinned packages:
//
//	npm ci --prefix interop/lucia-v1
//
// `make test` runs that when node_modules is missing. Without them the tests
// fail, saying so; they never skip.
package interop
