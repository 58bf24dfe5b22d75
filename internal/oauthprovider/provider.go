package oauthprovider

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	oauth2server "github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
	"golang.org/x/oauth2"
)

// LoginParam is the authorization request parameter that says who signs
// in: the provider user id, or empty to decline (access_denied). Without
// it the server shows its login page, whose form sends it.
const LoginParam = "login"

// The paths of the endpoints, under the server's URL.
const (
	authorizePath = "/authorize"
	tokenPath     = "/token"
	userPath      = "/user"
)

// Config is the one client the provider knows.
type Config struct {
	// ClientID and ClientSecret are the client's credentials. The token
	// endpoint takes them with HTTP Basic or in the form body.
	ClientID     string
	ClientSecret string
	// RedirectBase is the client's origin, with an optional path, such as
	// http://127.0.0.1:8080: a redirect_uri must have its scheme, host and
	// port, and a path at or under its path. An authorization request
	// with any other redirect_uri gets a 400, never a redirect.
	RedirectBase string
}

// Provider is the authorization server. New builds it; Start serves it.
type Provider struct {
	cfg        Config
	base       *url.URL
	oauth      *server.Server
	handler    http.Handler
	mu         sync.Mutex
	listener   net.Listener
	httpServer *http.Server
}

// New checks cfg and returns a provider that is not yet listening.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("oauthprovider: a client id and secret are required")
	}
	base, err := url.Parse(cfg.RedirectBase)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("oauthprovider: redirect base %q is not an http(s) origin with an optional path", cfg.RedirectBase)
	}

	manager := manage.NewDefaultManager()
	manager.MustTokenStorage(store.NewMemoryTokenStore())
	clients := store.NewClientStore()
	if err := clients.Set(cfg.ClientID, &models.Client{ID: cfg.ClientID, Secret: cfg.ClientSecret, Domain: cfg.RedirectBase}); err != nil {
		return nil, fmt.Errorf("oauthprovider: %w", err)
	}
	manager.MapClientStorage(clients)

	scfg := server.NewConfig()
	scfg.AllowedResponseTypes = []oauth2server.ResponseType{oauth2server.Code}
	scfg.AllowedGrantTypes = []oauth2server.GrantType{oauth2server.AuthorizationCode}
	scfg.AllowedCodeChallengeMethods = []oauth2server.CodeChallengeMethod{oauth2server.CodeChallengeS256}
	scfg.ForcePKCE = true
	srv := server.NewServer(scfg, manager)
	srv.SetClientInfoHandler(clientCredentials)

	p := &Provider{cfg: cfg, base: base, oauth: srv}
	manager.SetValidateURIHandler(p.validateRedirect)
	srv.SetUserAuthorizationHandler(p.userAuthorization)
	mux := http.NewServeMux()
	mux.HandleFunc(authorizePath, p.authorize)
	mux.HandleFunc(tokenPath, p.token)
	mux.HandleFunc(userPath, p.user)
	p.handler = mux
	return p, nil
}

// clientCredentials takes the client id and secret from HTTP Basic when
// the request has it, else from the form (client_id, client_secret), so
// that clients of either auth style work.
func clientCredentials(r *http.Request) (string, string, error) {
	if _, _, ok := r.BasicAuth(); ok {
		return server.ClientBasicHandler(r)
	}
	return server.ClientFormHandler(r)
}

// Start listens on addr, a loopback address such as 127.0.0.1:0 (empty
// means that), and serves until Close.
func (p *Provider) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("oauthprovider: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("oauthprovider: address %q is not a loopback address; the test provider signs anyone in", addr)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener != nil {
		return errors.New("oauthprovider: already started")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("oauthprovider: %w", err)
	}
	p.listener = l
	p.httpServer = &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.httpServer.Serve(l) }()
	return nil
}

// Close stops the server; afterwards its URLs refuse connections.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.httpServer == nil {
		return nil
	}
	return p.httpServer.Close()
}

// URL is the server's base URL, such as http://127.0.0.1:41234, once
// started; "" before.
func (p *Provider) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener == nil {
		return ""
	}
	return "http://" + p.listener.Addr().String()
}

// AuthURL is the authorization endpoint.
func (p *Provider) AuthURL() string { return p.URL() + authorizePath }

// TokenURL is the token endpoint.
func (p *Provider) TokenURL() string { return p.URL() + tokenPath }

// UserURL is the GitHub-style user endpoint: GET with the access token as
// a bearer token.
func (p *Provider) UserURL() string { return p.URL() + userPath }

// Endpoint is the authorization and token endpoints for
// golang.org/x/oauth2, sending the client credentials with HTTP Basic (the
// token endpoint also takes them in the body: AuthStyleInParams works).
func (p *Provider) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}
}

// token is the token endpoint: go-oauth2 writes the answer, an error
// included.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	_ = p.oauth.HandleTokenRequest(w, r)
}
