package main

import (
	"net/http"
	"net/url"

	"github.com/luciapg/luciapg/auth/authhttp"
)

// localPath returns next when it is a path on this app (the sudo prompt's
// and the second steps' "next", by authhttp's rule), and "/account"
// otherwise: never another site, whatever a crafted link puts there
// ("//evil.example", "/\evil.example" and "https://evil.example" all lead
// to /account).
func localPath(next string) string {
	if !authhttp.IsLocalPath(next) || len(next) > maxNextLength {
		return "/account"
	}
	return next
}

// maxNextLength bounds a return path: ours are short, and it rides in
// links and a cookie.
const maxNextLength = 512

// withNext returns path with next, made local, as its "next" parameter.
func withNext(path, next string) string {
	return path + "?" + url.Values{"next": {localPath(next)}}.Encode()
}

// returnPath is where a user sent to a prompt comes back to: the page
// itself for a GET (its path only, as authhttp's middleware does, so that
// no query is carried along), the page with the form for a form post
// (which is not repeated: the user submits it again).
func returnPath(r *http.Request, formPage string) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return localPath(r.URL.Path)
	}
	return localPath(formPage)
}
