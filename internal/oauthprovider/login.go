package oauthprovider

import (
	"html/template"
	"net/http"
	"slices"
)

// The login page's buttons: name=decision, value allow or deny.
const (
	decisionParam = "decision"
	decisionDeny  = "deny"
)

// loginTemplate is the login page: the authorization request's parameters
// as hidden fields, a user id field (id "login") and the buttons "Allow"
// (id "allow") and "Deny" (id "deny"), posting back to the authorization
// endpoint.
var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Test OAuth provider: sign in</title></head>
<body>
<h1>Test OAuth provider</h1>
<p>{{.ClientID}} asks to sign you in. Nothing is checked: type any user id.</p>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="login">User id</label>
<input id="login" name="login" required autofocus autocomplete="off">
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>
</body>
</html>
`))

type hiddenField struct{ Name, Value string }

// loginPage shows the login form for the authorization request r.
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	var hidden []hiddenField
	for name, values := range r.Form {
		if name == LoginParam || name == decisionParam {
			continue
		}
		for _, v := range values {
			hidden = append(hidden, hiddenField{name, v})
		}
	}
	slices.SortFunc(hidden, func(a, b hiddenField) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginTemplate.Execute(w, struct {
		ClientID string
		Action   string
		Hidden   []hiddenField
	}{p.cfg.ClientID, authorizePath, hidden})
}
