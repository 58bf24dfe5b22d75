// Package passkey adds passkeys (WebAuthn, with
// github.com/go-webauthn/webauthn) to luciapg's auth core: a user registers
// several, each with a name, lists, renames and removes them, and uses one
// as a second factor after a password, as a passwordless first factor
// (discoverable credentials with user verification), or to re-enter sudo
// mode. It is a module of its own, so that go-webauthn's dependencies reach
// only the programs that import it.
//
// Every ceremony has two calls. Begin returns a Ceremony: Options, the JSON
// the page passes to navigator.credentials.create or get, and Token, which
// the client sends back with the browser's response to Finish. The
// ceremony lives in the database (luciapg_webauthn_challenge, through the
// Auth's luciapg.FactorAdapter), keyed by the token's SHA-256, for
// Config.Timeout: any instance sharing the database can finish a ceremony
// another began, once. Finish uses it up whatever happens next, and
// refuses one begun for another purpose, user, session or pending login.
//
// After verifying an assertion, the passkey's signature counter and backup
// state are recorded, compare-and-set on the counter read: a counter that
// did not increase (where either is non-zero), as a cloned authenticator's
// would not, or a change of the backup-eligible flag, is refused and
// records nothing.
//
// Every refusal of a browser's response is ErrInvalidPasskey, wrapped with
// a few words of this package's own: no error holds a credential id,
// challenge, token, user handle or session id. New passkeys get a random
// 32-byte user handle per user (never the user id): the authenticator
// keeps it, and gives it to whoever asks for a discoverable credential.
//
// # Use
//
//	pk, err := passkey.New(a, passkey.Config{
//		RPID:          "example.com",
//		RPDisplayName: "Example",
//		RPOrigins:     []string{"https://example.com"},
//	})
//
//	// Settings page, in sudo mode: add a passkey.
//	c, err := pk.BeginRegistration(ctx, session)
//	// … the page runs navigator.credentials.create with c.Options and
//	// posts back the credential's JSON with c.Token …
//	passkey, err := pk.FinishRegistration(ctx, session, token, "Laptop", response)
//
//	// Sign-in page: passwordless.
//	c, err = pk.BeginLogin(ctx)
//	session, err = pk.FinishLogin(ctx, token, response)
//
//	// After auth's BeginLogin returned a pending login: the second step.
//	c, err = pk.BeginSecondFactor(ctx, pending.Token)
//	session, err = pk.FinishSecondFactor(ctx, pending.Token, token, response)
package passkey
