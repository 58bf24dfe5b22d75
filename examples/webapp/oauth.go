package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"golang.org/x/oauth2"

	"github.com/luciapg/luciapg"
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
	// StateKey signs the state cookie ($OAUTH_STATE_KEY, at least 32
	// bytes); empty means a random key made at start. Instances behind one
	// domain must share one, or a sign-in begun on one fails on another.
	StateKey string
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
// authOrigin is the origin of the provider's authorization URL, which the
// link button's form is sent on to.
func newOAuthFlow(core *auth.Auth, cfg appConfig) (flow *oauth.Flow, authOrigin string, err error) {
	if cfg.oauth.ClientID == "" {
		return nil, "", nil
	}
	if cfg.oauth.ClientSecret == "" {
		// The provider would refuse every sign-in at the token exchange.
		return nil, "", errors.New("-oauth-client-id is set but the client secret is not: set $OAUTH_CLIENT_SECRET (or -oauth-client-secret) to the secret the provider gave with the client id")
	}
	provider, err := cfg.oauth.provider(cfg.publicURL)
	if err != nil {
		return nil, "", err
	}
	authOrigin, ok := sourceOrigin(provider.OAuth2.Endpoint.AuthURL)
	if !ok {
		return nil, "", errors.New("-oauth-auth-url: not an http or https URL")
	}
	var stateKey []byte // nil: a random key (an empty one is refused)
	if cfg.oauth.StateKey != "" {
		stateKey = []byte(cfg.oauth.StateKey)
	}
	flow, err = oauth.New(core, provider, oauth.Config{InsecureCookie: cfg.insecureDevCookies, Now: cfg.now, StateKey: stateKey})
	if err != nil {
		// oauth.New names StateKey's length, never the key.
		return nil, "", fmt.Errorf("-oauth-* flags or $OAUTH_STATE_KEY: %w", err)
	}
	return flow, authOrigin, nil
}

// cspHost is what a host[:port] in a Content-Security-Policy source may
// hold: nothing that could end the source (a space, ';' or ',').
var cspHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// sourceOrigin returns "scheme://host[:port]" of an http or https URL, as
// a Content-Security-Policy source.
func sourceOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !cspHost.MatchString(u.Host) {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// oauthStart sends a visitor to the provider to sign in (or up). It is a
// GET, a link on the login page, which any site can also send a browser
// to: so it never starts a link. A signed-in visitor goes to the account
// page, whose button (oauthLink, a POST) is the only way to link.
func (a *app) oauthStart(w http.ResponseWriter, r *http.Request) {
	if a.oauth == nil {
		http.NotFound(w, r)
		return
	}
	if _, _, ok := currentSession(r); ok {
		redirect(w, r, "/account")
		return
	}
	a.oauth.Redirect(w, r)
}

// oauthLinkPath is where the account page's "Link your ... account"
// button posts.
const oauthLinkPath = "/account/oauth-link"

// oauthLink starts linking the provider account to the signed-in user's:
// a form post, so the session middleware's cross-origin check refuses one
// another site makes the browser send, as for every other form. It marks
// the browser with the link intent (oauthIntentCookie) and sends it to the
// provider; the Content-Security-Policy's form-action allows that one
// origin besides the app's own.
func (a *app) oauthLink(w http.ResponseWriter, r *http.Request) {
	if a.oauth == nil {
		http.NotFound(w, r)
		return
	}
	// Linking adds a way to sign in, which would outlast a password
	// change and "sign out of all devices": sudo mode, as for a password.
	session, user, ok := a.requireSession(w, r)
	if !ok || !a.requireSudo(w, r, session, "/account") {
		return
	}
	http.SetCookie(w, a.oauthIntentCookie(linkIntent(user.ID), int(oauth.DefaultStateTTL/time.Second)))
	http.Redirect(w, r, a.oauth.Start(w), http.StatusSeeOther)
}

// oauthIntentCookie carries the link intent from oauthLink to the
// callback, which links only for the user it names: a sign-in started by
// a GET (the login page's link, or another site) never links, even should
// the browser be signed in by the time it comes back. HttpOnly, and
// __Host- prefixed when Secure, like the state cookie, so neither a script
// nor a sibling subdomain can set it.
func (a *app) oauthIntentCookie(value string, maxAge int) *http.Cookie {
	return a.intentCookie("oauth_link", value, maxAge)
}

// intentCookie is an intent cookie named name (prefixed __Host- when
// Secure), carrying what a form post asked of the provider's sign-in to
// its callback.
func (a *app) intentCookie(name, value string, maxAge int) *http.Cookie {
	if a.secure {
		name = "__Host-" + name
	}
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode}
}

// linkIntent is the intent cookie's value for a user: bound to the user,
// so an intent left in a shared browser links nothing to the next one.
func linkIntent(userID string) string {
	sum := sha256.Sum256([]byte("webapp-oauth-link\x00" + userID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// linkIntended reports whether the browser's intent cookie names userID.
func (a *app) linkIntended(r *http.Request, userID string) bool {
	c, err := r.Cookie(a.oauthIntentCookie("", 0).Name)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(linkIntent(userID))) == 1
}

// oauthCallback finishes the sign-in: the provider account's user gets a
// session (created on the first sign-in), or the second step of the login
// for a user with a second factor; for a signed-in user who pressed the
// link button, the provider account is linked to theirs; for one who
// pressed "Sign in again with ..." on the sudo prompt, the session enters
// sudo mode, if the account is the one linked to theirs. The flow checks
// the state cookie, so another site cannot sign a browser in or link an
// account by sending it here.
func (a *app) oauthCallback(w http.ResponseWriter, r *http.Request) {
	if a.oauth == nil {
		http.NotFound(w, r)
		return
	}
	session, user, signedIn := currentSession(r)
	var sudoNext string
	sudo := false
	if signedIn {
		sudoNext, sudo = a.sudoIntended(r, session.ID)
	}
	intended := signedIn && !sudo && a.linkIntended(r, user.ID)
	http.SetCookie(w, a.oauthIntentCookie("", -1))
	http.SetCookie(w, a.sudoIntentCookie("", -1))
	if sudo {
		a.oauthSudoCallback(w, r, session, user, sudoNext)
		return
	}
	if intended {
		// The button's post checked the second factor; so does every
		// step after it.
		if _, _, ok := a.requireSession(w, r); !ok {
			return
		}
	}
	if signedIn && !intended {
		// A sign-in started by a GET, finished signed in: not a link the
		// user asked for. Nothing is written.
		a.showAccount(w, r, http.StatusForbidden, session, user, pageData{Error: "To link your " + a.oauthName + " account, use the button on this page."})
		return
	}
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
		if res.Linked {
			if err := a.checkLinkSurvived(r, session.ID, res.Key); err != nil {
				if errors.Is(err, luciapg.ErrInvalidSessionID) {
					a.clearSessionCookie(w)
					redirect(w, r, "/login?m=expired")
					return
				}
				a.serverError(w, r, err)
				return
			}
		}
		redirect(w, r, "/account?m=oauth-linked")
		return
	}
	// Not one transaction with the flow's write: the flow talks to the
	// provider over the network first, which no transaction should wait
	// for, and its one write (the user with the key, or the key) stands
	// on its own. Should the session fail, signing in again finds the
	// account. A user with a second factor gets a pending login and its
	// second step instead.
	login, err := a.auth.BeginLoginForUser(r.Context(), res.User.ID, luciapg.FactorOAuth)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	next := "/account"
	if res.Created {
		next = "/account?m=welcome-oauth"
	}
	a.finishFirstStep(w, r, login, next)
}

// checkLinkSurvived undoes a link whose session a password reset ended
// while it was made, and then returns luciapg.ErrInvalidSessionID: the
// reset removes the user's keys and locks the user's row until it
// commits, so a key written after that waited for the commit, and the
// session is seen ended here. The key is deleted before the error is
// returned; should that fail, the error says so (a 500, logged).
func (a *app) checkLinkSurvived(r *http.Request, sessionID string, key auth.Key) error {
	_, err := a.auth.ValidateSession(r.Context(), sessionID)
	if !errors.Is(err, luciapg.ErrInvalidSessionID) {
		return err
	}
	if delErr := a.auth.DeleteKey(r.Context(), key.ProviderID, key.ProviderUserID); delErr != nil {
		return delErr
	}
	return err
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
