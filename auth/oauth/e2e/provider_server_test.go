package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	oauth2server "github.com/go-oauth2/oauth2/v4"
	oauth2errors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
)

const (
	clientID     = "luciapg-e2e"
	clientSecret = "e2e-client-secret"
	// appBase is the application's origin; the server only redirects to
	// callbacks under it.
	appBase     = "http://127.0.0.1:9"
	callbackURL = appBase + "/login/callback"
	// loginParam is how the test's "browser" tells the provider who signs
	// in (an empty value declines: access_denied). A real provider shows
	// a login page here.
	loginParam = "test_login"
)

// provider is a loopback OAuth 2.0 authorization server built with
// go-oauth2/oauth2: authorization codes only, PKCE with S256 required,
// plus a GitHub-style user endpoint that validates the bearer token with
// the same server.
type provider struct {
	*httptest.Server
}

var numericID = regexp.MustCompile(`^[0-9]+$`)

func newProvider(t *testing.T) *provider {
	t.Helper()
	manager := manage.NewDefaultManager()
	manager.MustTokenStorage(store.NewMemoryTokenStore())
	clients := store.NewClientStore()
	if err := clients.Set(clientID, &models.Client{ID: clientID, Secret: clientSecret, Domain: appBase}); err != nil {
		t.Fatal(err)
	}
	manager.MapClientStorage(clients)

	cfg := server.NewConfig()
	cfg.AllowedResponseTypes = []oauth2server.ResponseType{oauth2server.Code}
	cfg.AllowedGrantTypes = []oauth2server.GrantType{oauth2server.AuthorizationCode}
	cfg.AllowedCodeChallengeMethods = []oauth2server.CodeChallengeMethod{oauth2server.CodeChallengeS256}
	cfg.ForcePKCE = true
	srv := server.NewServer(cfg, manager)
	srv.SetUserAuthorizationHandler(func(w http.ResponseWriter, r *http.Request) (string, error) {
		if login := r.FormValue(loginParam); login != "" {
			return login, nil
		}
		return "", oauth2errors.ErrAccessDenied
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = srv.HandleTokenRequest(w, r)
	})
	// GitHub's /user: the id as a JSON number; Google's userinfo: "sub".
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		ti, err := srv.ValidationBearerToken(r)
		if err != nil {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		id := ti.GetUserID()
		w.Header().Set("Content-Type", "application/json")
		if numericID.MatchString(id) {
			_, _ = w.Write([]byte(`{"login":"octo","id":` + id + `}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": id})
	})
	p := &provider{httptest.NewServer(mux)}
	t.Cleanup(p.Close)
	return p
}
