package main

import (
	"net/http"
	"net/url"
	"strings"
)

// localPath returns next when it is a path on this app (the sudo prompt's
// and the second steps' "next"), and "/account" otherwise: never another
// site, whatever a crafted link puts there ("//evil.example",
// "/\evil.example" and "https://evil.example" all lead to /account).
func localPath(next string) string {
	const fallback = "/account"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") || len(next) > 512 {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return next
}

// withNext returns path with next, made local, as its "next" parameter.
func withNext(path, next string) string {
	return path + "?" + url.Values{"next": {localPath(next)}}.Encode()
}

// returnPath is where a user sent to a prompt comes back to: the page
// itself for a GET, the account page for a form post (which is not
// repeated: the user submits it again).
func returnPath(r *http.Request, formPage string) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return localPath(r.URL.RequestURI())
	}
	return localPath(formPage)
}
