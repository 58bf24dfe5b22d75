// Package oauthprovider is a loopback OAuth 2.0 authorization server for
// tests and local development: the authorization code grant only, PKCE
// with S256 required, one client, and a GitHub-style user endpoint. It is
// built on github.com/go-oauth2/oauth2/v4.
//
// Nobody really signs in. Whoever opens the authorization URL says which
// provider user they are: with the query parameter [LoginParam] (a test's
// HTTP client, or a browser test that appends it), or by typing the id
// into the login page the server shows when that parameter is absent and
// pressing "Allow". An empty id, or "Deny", declines: the callback gets
// error=access_denied.
//
//	p, err := oauthprovider.New(oauthprovider.Config{
//		ClientID:     "app",
//		ClientSecret: "app-secret",
//		RedirectBase: "http://127.0.0.1:8080",
//	})
//	if err != nil { ... }
//	if err := p.Start("127.0.0.1:0"); err != nil { ... }
//	defer p.Close()
//	// p.AuthURL(), p.TokenURL(), p.UserURL(), or p.Endpoint()
//
// The user endpoint ([Provider.UserURL]) answers like GitHub's /user: a
// JSON object whose "id" is the user id as a JSON number when it is a
// decimal integer, with "login" and "sub" (Google's field) the id as a
// string; an id that is not an integer has only "login" and "sub".
//
// The server is for loopback only: [Provider.Start] refuses any other
// address, since anyone who reaches it can sign in as anyone.
//
// It is a module of its own (internal to github.com/luciapg/luciapg) so
// that the server library never reaches the library module's go.sum; the
// auth/oauth end-to-end tests and the example web app's tests use it, and
// cmd/oauthprovider runs it for a developer.
package oauthprovider
