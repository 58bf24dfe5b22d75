// Package oauth signs users in with an OAuth 2.0 provider (GitHub, Google,
// or any provider configured with its endpoints and a user-id extractor),
// on golang.org/x/oauth2 and the auth core.
//
// A Flow has two steps. Start makes the provider's authorization URL with a
// random state and a PKCE (S256) verifier, both kept in a short-lived
// HttpOnly, Secure, SameSite=Lax cookie. Callback, on the provider's
// redirect back, checks the state against that cookie (once: a state is
// never accepted twice), exchanges the code with the verifier, reads the
// provider's user id and then either signs in the user who owns the key
// "provider:id" (through auth.UsePasswordlessKey, so the attempt is
// throttled), creates a user with that key in one atomic call, or links the
// key to the user who is already signed in. Every refusal is a sentinel
// error from this package and writes nothing to the database.
//
// Key ids are those of @lucia-auth/oauth 1.x: "github:<numeric id>" (the
// id of GitHub's /user) and "google:<sub>" (the sub of Google's
// userinfo), so a user who signed in with GitHub on a Lucia v1 JavaScript
// app is the same user here.
//
// No error or log line carries a token, code, state or verifier.
package oauth
