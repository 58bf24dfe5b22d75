package auth

import (
	"errors"
	"regexp"
	"strings"
)

// UsernameProviderID is the key provider of username-and-password logins,
// as in the example web app: a user logs in with the key
// "username:<name>". Every tool that creates such keys (the web app's sign
// up, the admin CLI) checks names with CheckUsername, so none creates a
// key that the login form can never match.
const UsernameProviderID = "username"

// ErrInvalidUsername is CheckUsername's answer for a name outside the
// rule. It does not repeat the name.
var ErrInvalidUsername = errors.New(`a username is 3 to 31 characters: lower-case letters a-z, digits, "_" and "-"`)

var usernamePattern = regexp.MustCompile(`^[a-z0-9_-]{3,31}$`)

// NormalizeUsername is what a login form does to a typed name before
// looking it up: it trims spaces and folds case, so "Alice" and "alice"
// are one account.
func NormalizeUsername(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// CheckUsername returns ErrInvalidUsername unless name is a normalized
// username (see NormalizeUsername) of 3 to 31 characters from a-z, 0-9,
// "_" and "-". Names are ASCII so that two names that look alike are the
// same name.
func CheckUsername(name string) error {
	if !usernamePattern.MatchString(name) {
		return ErrInvalidUsername
	}
	return nil
}
