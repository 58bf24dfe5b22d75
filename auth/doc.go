// Package auth implements Lucia v1's authentication core on top of any
// luciapg.Adapter: users with password keys, sessions with active and idle
// expiry, password hashing interchangeable with Lucia v1 (scrypt), and
// single-use keys.
package auth
