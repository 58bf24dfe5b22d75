package main

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
)

// throttled reports whether err is the auth core refusing an attempt
// because of too many recent ones (on the key or from the client's
// address). If so it sets Retry-After and returns the sentence to show,
// which says how long to wait but not which limit was hit, nor whether
// the username exists: unknown names are throttled like known ones.
func throttled(w http.ResponseWriter, err error) (string, bool) {
	var tooMany *auth.TooManyAttemptsError
	if !errors.As(err, &tooMany) {
		return "", false
	}
	authhttp.SetRetryAfter(w.Header(), tooMany.RetryAfter)
	return "Too many attempts. Please wait " + waitText(auth.RetryAfterSeconds(tooMany.RetryAfter)) + " and try again.", true
}

// waitText says a wait in seconds the way a person would, rounded up.
func waitText(seconds int64) string {
	switch {
	case seconds < 60:
		return count(seconds, "second")
	case seconds < 3600:
		return count((seconds+59)/60, "minute")
	default:
		return count((seconds+3599)/3600, "hour")
	}
}

func count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// retryAfter sets Retry-After for a request the app's own throttle
// refused (a mail's, a passwordless login's) and returns how long to wait,
// in words.
func retryAfter(w http.ResponseWriter, wait time.Duration) string {
	authhttp.SetRetryAfter(w.Header(), wait)
	return waitText(auth.RetryAfterSeconds(wait))
}
