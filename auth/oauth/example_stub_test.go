package oauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"

	"golang.org/x/oauth2"
)

// stubProvider stands in for GitHub in the Example only: it approves
// every request as user 583231. The end-to-end tests (auth/oauth/e2e) use
// a real OAuth 2.0 server instead.
type stubProvider struct{ *httptest.Server }

func newStubProvider() stubProvider {
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		back := r.FormValue("redirect_uri") + "?" + url.Values{"code": {"stub-code"}, "state": {r.FormValue("state")}}.Encode()
		http.Redirect(w, r, back, http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"stub-token","token_type":"bearer"}`))
	})
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"login":"octocat","id":583231}`))
	})
	return stubProvider{httptest.NewServer(mux)}
}

func (s stubProvider) endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}
}

// approve is the browser at the provider: the URL it is sent back to.
func (s stubProvider) approve(authURL string) string {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}
