package authhttp

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/luciapg/luciapg/auth"
)

// TooManyAttempts answers an attempt auth refused for throttling: when err
// is (or wraps) an *auth.TooManyAttemptsError, it writes 429 Too Many
// Requests with a Retry-After header and reports true; for any other err
// it writes nothing and reports false. Use it right after UseKey or
// UsePasswordlessKey:
//
//	key, err := a.UseKey(r.Context(), "email", email, password)
//	if authhttp.TooManyAttempts(w, err) {
//		return
//	}
//
// An application that renders its own page instead sets the header with
// SetRetryAfter and writes the status itself.
func TooManyAttempts(w http.ResponseWriter, err error) bool {
	var tooMany *auth.TooManyAttemptsError
	if !errors.As(err, &tooMany) {
		return false
	}
	SetRetryAfter(w.Header(), tooMany.RetryAfter)
	http.Error(w, "429 too many attempts: try again later", http.StatusTooManyRequests)
	return true
}

// SetRetryAfter sets the Retry-After header to wait in whole seconds,
// rounded up (at least 1), so a client that obeys it never comes back
// before it will be let in.
func SetRetryAfter(h http.Header, wait time.Duration) {
	h.Set("Retry-After", strconv.FormatInt(auth.RetryAfterSeconds(wait), 10))
}
