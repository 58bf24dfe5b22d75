package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
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

// minStateKeyLength is the shortest Config.StateKey: HMAC-SHA256's own
// output size, so the key is no weaker than the MAC.
const minStateKeyLength = 32

// stateMAC is HMAC-SHA256 under the Flow's key of the provider id and the
// cookie's payload: a cookie made by anyone but a Flow holding the key, or
// made for another provider, does not verify.
func (f *Flow) stateMAC(payload string) []byte {
	m := hmac.New(sha256.New, f.stateKey)
	m.Write([]byte(f.provider.ID))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// encode is "issued.state.verifier.mac", the MAC over the first three.
// State and verifier are base64url, so '.' cannot occur in them.
func (f *Flow) encode(c stateCookie) string {
	payload := strconv.FormatInt(c.issued.Unix(), 10) + "." + c.state + "." + c.verifier
	return payload + "." + base64.RawURLEncoding.EncodeToString(f.stateMAC(payload))
}

// decode returns the cookie's content; ok is false for a value that is
// not "payload.mac", and verified false for one whose MAC is not this
// Flow's. The MAC is checked (hmac.Equal, in constant time) before any of
// the payload is looked at, so a forged cookie goes no further.
func (f *Flow) decode(v string) (c stateCookie, ok, verified bool) {
	dot := strings.LastIndexByte(v, '.')
	if dot < 0 {
		return stateCookie{}, false, false
	}
	payload := v[:dot]
	mac, err := base64.RawURLEncoding.DecodeString(v[dot+1:])
	if err != nil || len(mac) != sha256.Size {
		return stateCookie{}, false, false
	}
	if !hmac.Equal(mac, f.stateMAC(payload)) {
		return stateCookie{}, true, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return stateCookie{}, false, false
	}
	secs, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return stateCookie{}, false, false
	}
	return stateCookie{state: parts[1], verifier: parts[2], issued: time.Unix(secs, 0)}, true, true
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
