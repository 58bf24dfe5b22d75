package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// Provider is an OAuth 2.0 provider as a Flow uses it.
type Provider struct {
	// ID is the key's provider id, "github" in "github:123": lowercase
	// letters, digits, '-' and '_'. It also names the state cookie.
	ID string
	// OAuth2 holds the client id and secret, the endpoints, the redirect
	// URL (the application's callback) and the scopes.
	OAuth2 oauth2.Config
	// UserID reads the signed-in user's id from the provider, with client
	// carrying the access token.
	UserID UserIDFunc
}

// UserIDFunc returns the provider's id for the user whose access token
// client carries.
type UserIDFunc func(ctx context.Context, client *http.Client) (string, error)

// GitHubUserURL is GitHub's user endpoint, whose "id" (a number) is the
// provider user id, as in @lucia-auth/oauth 1.x.
const GitHubUserURL = "https://api.github.com/user"

// GoogleUserInfoURL is Google's userinfo endpoint, whose "sub" is the
// provider user id, as in @lucia-auth/oauth 1.x.
const GoogleUserInfoURL = "https://www.googleapis.com/oauth2/v3/userinfo"

// GitHub returns the provider "github": GitHub's endpoints, no scope (the
// public profile is enough for the id), and the id from GitHubUserURL.
func GitHub(clientID, clientSecret, redirectURL string) Provider {
	return Provider{
		ID: "github",
		OAuth2: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			Endpoint:     inParams(endpoints.GitHub),
			RedirectURL:  redirectURL,
		},
		UserID: JSONUserID(GitHubUserURL, "id"),
	}
}

// Google returns the provider "google": Google's endpoints, the
// userinfo.profile scope, and the id from GoogleUserInfoURL's "sub".
func Google(clientID, clientSecret, redirectURL string) Provider {
	return Provider{
		ID: "google",
		OAuth2: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			Endpoint:     inParams(endpoints.Google),
			RedirectURL:  redirectURL,
			Scopes:       []string{"https://www.googleapis.com/auth/userinfo.profile"},
		},
		UserID: JSONUserID(GoogleUserInfoURL, "sub"),
	}
}

// inParams sends the client id and secret in the token request's body, as
// @lucia-auth/oauth does, rather than letting x/oauth2 guess (a refused
// exchange would otherwise be sent twice).
func inParams(e oauth2.Endpoint) oauth2.Endpoint {
	e.AuthStyle = oauth2.AuthStyleInParams
	return e
}

// maxUserInfoBytes bounds what is read from a user-info endpoint.
const maxUserInfoBytes = 1 << 20

var integerID = regexp.MustCompile(`^-?[0-9]+$`)

// JSONUserID returns a UserIDFunc that GETs url and takes the top-level
// field of its JSON object: a non-empty string, or an integer, written in
// decimal (GitHub's ids are numbers; a float64 would round ids above 2^53).
func JSONUserID(url, field string) UserIDFunc {
	return func(ctx context.Context, client *http.Client) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrProviderUnavailable, scrubURLError(err))
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%w: user endpoint answered %d", ErrUserInfo, resp.StatusCode)
		}
		var body map[string]json.RawMessage
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxUserInfoBytes)).Decode(&body); err != nil {
			return "", fmt.Errorf("%w: user endpoint sent no JSON object", ErrUserInfo)
		}
		raw, ok := body[field]
		if !ok {
			return "", fmt.Errorf("%w: no %q in the user endpoint's answer", ErrUserInfo, field)
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s, nil
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil && integerID.MatchString(n.String()) {
			return n.String(), nil
		}
		return "", fmt.Errorf("%w: %q is neither a non-empty string nor an integer", ErrUserInfo, field)
	}
}

var providerIDPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (p Provider) check() error {
	switch {
	case !providerIDPattern.MatchString(p.ID):
		return errors.New("oauth: provider id must be 1 to 64 of a-z 0-9 - _")
	case p.OAuth2.ClientID == "":
		return errors.New("oauth: provider " + p.ID + ": no client id")
	case p.OAuth2.Endpoint.AuthURL == "" || p.OAuth2.Endpoint.TokenURL == "":
		return errors.New("oauth: provider " + p.ID + ": no authorization or token URL")
	case p.OAuth2.RedirectURL == "":
		return errors.New("oauth: provider " + p.ID + ": no redirect URL")
	case p.UserID == nil:
		return errors.New("oauth: provider " + p.ID + ": no user-id function")
	}
	return nil
}
