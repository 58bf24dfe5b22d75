package oauthprovider

import (
	"encoding/json"
	"net/http"
	"regexp"
)

// decimalID is a user id that is sent as a JSON number: a decimal integer
// without leading zeros, as GitHub's ids are.
var decimalID = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

// user is the GitHub-style user endpoint. The bearer token is checked by
// the same server that issued it.
func (p *Provider) user(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ti, err := p.oauth.ValidationBearerToken(r)
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Bad credentials"}` + "\n"))
		return
	}
	id := ti.GetUserID()
	body := map[string]any{"login": id, "sub": id}
	if decimalID.MatchString(id) {
		body["id"] = json.Number(id)
	}
	_ = json.NewEncoder(w).Encode(body)
}
