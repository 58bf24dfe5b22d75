package main

import (
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
)

// oauthConfig is the "Sign in with ..." provider, from the -oauth-* flags.
// With ClientID empty the app offers no such sign-in.
type oauthConfig struct {
	// ProviderID is the first part of the key ids, "github" in
	// "github:583231": the same as a Lucia v1 app's, so its users are the
	// same users here.
	ProviderID string
	// Name is the button's label: "Sign in with Name".
	Name         string
	ClientID     string
	ClientSecret string
	// AuthURL, TokenURL and UserURL are the provider's endpoints; all
	// empty with ProviderID "github" means GitHub's.
	AuthURL, TokenURL, UserURL string
	// UserIDField is the field of the user endpoint's JSON holding the
	// user's id ("id" for GitHub, "sub" for OpenID Connect providers).
	UserIDField string
}

// oauthCallbackPath is where the provider sends the browser back: the
// redirect URL to register with the provider is the public origin
// followed by it.
const oauthCallbackPath = "/login/callback"

// provider builds the auth/oauth provider, its callback at publicURL.
func (c oauthConfig) provider(publicURL string) (oauth.Provider, error) {
	redirectURL := publicURL + oauthCallbackPath
	custom := c.AuthURL != "" || c.TokenURL != "" || c.UserURL != ""
	if c.ProviderID == "github" && !custom {
		return oauth.GitHub(c.ClientID, c.ClientSecret, redirectURL), nil
	}
	if c.AuthURL == "" || c.TokenURL == "" || c.UserURL == "" {
		return oauth.Provider{}, errors.New("-oauth-auth-url, -oauth-token-url and -oauth-user-url are all needed for a provider other than GitHub's")
	}
	field := c.UserIDField
	if field == "" {
		field = "id"
	}
	return oauth.Provider{
		ID: c.ProviderID,
		OAuth2: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Endpoint:     oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL:  redirectURL,
		},
		UserID: oauth.JSONUserID(c.UserURL, field),
	}, nil
}

// newOAuthFlow returns the sign-in flow cfg.oauth configures, or nil when
// it configures none: without a client id there is no provider to sign in
// with, whatever the other -oauth-* flags say (their defaults name GitHub).
func newOAuthFlow(core *auth.Auth, cfg appConfig) (*oauth.Flow, error) {
	if cfg.oauth.ClientID == "" {
		return nil, nil
	}
	if cfg.oauth.ClientSecret == "" {
		// The provider would refuse every sign-in at the token exchange.
		return nil, errors.New("-oauth-client-id is set but the client secret is not: set $OAUTH_CLIENT_SECRET (or -oauth-client-secret) to the secret the provider gave with the client id")
	}
	provider, err := cfg.oauth.provider(cfg.publicURL)
	if err != nil {
		return nil, err
	}
	flow, err := oauth.New(core, provider, oauth.Config{InsecureCookie: cfg.insecureDevCookies, Now: cfg.now})
	if err != nil {
		return nil, fmt.Errorf("-oauth-*: %w", err)
	}
	return flow, nil
}

// oauthStart sends the browser to the provider. A visitor signs in (or
// up) there; a signed-in user links the provider account to theirs (the
// callback tells the two apart by the session). It is a GET, a link: a
// form posting here could not follow the redirect to another origin under
// the Content-Security-Policy's form-action 'self'.
func (a *app) oauthStart(w http.ResponseWriter, r *http.Request) {
	if a.oauth == nil {
		http.NotFound(w, r)
		return
	}
	a.oauth.Redirect(w, r)
}

// oauthCallback finishes the sign-in: the provider account's user gets a
// session (created on the first sign-in), or, for a signed-in user, the
// provider account is linked to theirs. The flow checks the state cookie,
// so another site cannot sign a browser in or link an account by sending
// it here.
func (a *app) oauthCallback(w http.ResponseWriter, r *http.Request) {
	if a.oauth == nil {
		http.NotFound(w, r)
		return
	}
	session, user, signedIn := currentSession(r)
	var signedInUserID string
	if signedIn {
		signedInUserID = user.ID
	}
	res, err := a.oauth.Callback(w, r, signedInUserID)
	if err != nil {
		status, msg := a.oauthFailure(w, err)
		if status == http.StatusInternalServerError {
			a.serverError(w, r, err)
			return
		}
		if signedIn {
			a.showAccount(w, r, status, session, user, pageData{Error: msg})
			return
		}
		a.render(w, r, status, "login", pageData{Title: "Log in", Error: msg})
		return
	}
	if signedIn {
		redirect(w, r, "/account?m=oauth-linked")
		return
	}
	// Not one transaction with the flow's write: the flow talks to the
	// provider over the network first, which no transaction should wait
	// for, and its one write (the user with the key, or the key) stands
	// on its own. Should the session fail, signing in again finds the
	// account.
	if err := a.startSession(w, r, res.User.ID); err != nil {
		a.serverError(w, r, err)
		return
	}
	if res.Created {
		redirect(w, r, "/account?m=welcome-oauth")
		return
	}
	redirect(w, r, "/account")
}

// oauthFailure returns the status and sentence for a refused callback
// (500 for an error of the database, which the caller logs). The
// sentences name no token, code or state.
func (a *app) oauthFailure(w http.ResponseWriter, err error) (int, string) {
	name := a.oauthName
	if msg, ok := throttled(w, err); ok {
		return http.StatusTooManyRequests, msg
	}
	switch {
	case errors.Is(err, oauth.ErrProviderDenied):
		return http.StatusForbidden, "Signing in with " + name + " was cancelled."
	case errors.Is(err, oauth.ErrLinkedToOtherUser):
		return http.StatusConflict, "That " + name + " account is already linked to another user."
	case errors.Is(err, oauth.ErrProviderUnavailable), errors.Is(err, oauth.ErrUserInfo):
		return http.StatusBadGateway, name + " did not answer as expected. Please try again later."
	case errors.Is(err, oauth.ErrMissingState), errors.Is(err, oauth.ErrStateMismatch),
		errors.Is(err, oauth.ErrStateExpired), errors.Is(err, oauth.ErrStateReplayed),
		errors.Is(err, oauth.ErrMissingCode), errors.Is(err, oauth.ErrExchange):
		return http.StatusBadRequest, "Signing in with " + name + " did not work, or the link was old. Please try again."
	}
	return http.StatusInternalServerError, ""
}

// oauthLinked reports whether the user has a key of the sign-in provider.
func (a *app) oauthLinked(r *http.Request, userID string) (bool, error) {
	if a.oauth == nil {
		return false, nil
	}
	keys, err := a.auth.GetAllUserKeys(r.Context(), userID)
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		if k.ProviderID == a.oauth.ProviderID() {
			return true, nil
		}
	}
	return false, nil
}
