package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// stateCookie is what Start leaves in the browser for Callback: the state
// sent to the provider, the PKCE verifier, and when they were made (a
// cookie's Max-Age is only the browser's word, so Callback checks the age
// itself).
type stateCookie struct {
	state    string
	verifier string
	issued   time.Time
}

// Both are base64url, so '.' cannot occur in them.
func (c stateCookie) encode() string {
	return strconv.FormatInt(c.issued.Unix(), 10) + "." + c.state + "." + c.verifier
}

func decodeStateCookie(v string) (stateCookie, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return stateCookie{}, false
	}
	secs, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return stateCookie{}, false
	}
	return stateCookie{state: parts[1], verifier: parts[2], issued: time.Unix(secs, 0)}, true
}

// randomState is 32 bytes from crypto/rand, base64url: unguessable.
func randomState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieName is per provider, so two sign-ins in flight do not overwrite
// each other. Secure cookies get the __Host- prefix: the browser then
// refuses one set without Secure, with a Domain, or by a sibling
// subdomain, so no other host can plant a state of its own.
func (f *Flow) cookieName() string {
	if f.cfg.InsecureCookie {
		return "oauth_" + f.provider.ID
	}
	return "__Host-oauth_" + f.provider.ID
}

func (f *Flow) newCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     f.cookieName(),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !f.cfg.InsecureCookie,
		// Lax: the provider's redirect back is a top-level GET navigation,
		// which Lax cookies accompany; Strict ones would not.
		SameSite: http.SameSiteLaxMode,
	}
}

// clearCookie deletes the state cookie: whatever the callback's outcome,
// that state is spent.
func (f *Flow) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, f.newCookie("", -1))
}
