package oauthprovider

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	oauth2errors "github.com/go-oauth2/oauth2/v4/errors"
)

// maxFormBytes bounds an authorization request's body (the login form).
const maxFormBytes = 64 << 10

// authorize is the authorization endpoint. The client and its redirect_uri
// are checked first: go-oauth2 asks who signs in, and redirects errors
// such as access_denied, before it checks the redirect_uri, and would send
// them anywhere (RFC 6749 4.1.2.1: inform the user, never redirect).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "oauthprovider: unreadable authorization request", http.StatusBadRequest)
		return
	}
	if r.Form.Get("client_id") != p.cfg.ClientID {
		http.Error(w, "oauthprovider: unknown client_id", http.StatusBadRequest)
		return
	}
	if redirect := r.Form.Get("redirect_uri"); redirect != "" && !p.redirectAllowed(redirect) {
		http.Error(w, "oauthprovider: redirect_uri is not under the client's redirect base", http.StatusBadRequest)
		return
	}
	if err := p.oauth.HandleAuthorizeRequest(w, r); err != nil {
		http.Error(w, "oauthprovider: "+err.Error(), http.StatusBadRequest)
	}
}

// Errors for go-oauth2.
var (
	// errAccessDenied is the user declining.
	errAccessDenied = oauth2errors.ErrAccessDenied
	// errRedirectURI is a redirect_uri outside the redirect base.
	errRedirectURI = errors.New("redirect_uri is not under the client's redirect base")
)

// validateRedirect is go-oauth2's redirect check, the same as authorize's.
func (p *Provider) validateRedirect(_, redirect string) error {
	if !p.redirectAllowed(redirect) {
		return errRedirectURI
	}
	return nil
}

// redirectAllowed reports whether redirect has the redirect base's scheme
// and host (port included), no user info or fragment, and a path at or
// under the base's path with no dot segments.
func (p *Provider) redirectAllowed(redirect string) bool {
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme != p.base.Scheme || u.Host != p.base.Host || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	for _, segment := range strings.Split(u.Path, "/") {
		if segment == "." || segment == ".." {
			return false
		}
	}
	basePath := strings.TrimSuffix(p.base.Path, "/")
	return u.Path == basePath || strings.HasPrefix(u.Path, basePath+"/")
}

// userAuthorization is who signs in: LoginParam, or "Deny" on the login
// page (access_denied), or, with neither, the login page itself (go-oauth2
// then writes nothing more).
func (p *Provider) userAuthorization(w http.ResponseWriter, r *http.Request) (string, error) {
	if r.Form.Get(decisionParam) == decisionDeny {
		return "", errAccessDenied
	}
	if _, ok := r.Form[LoginParam]; ok {
		if login := r.Form.Get(LoginParam); login != "" {
			return login, nil
		}
		return "", errAccessDenied
	}
	p.loginPage(w, r)
	return "", nil
}
