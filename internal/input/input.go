// Package input holds the rules for what luciapg stores, shared by the
// PostgreSQL Store and memadapter so that both refuse exactly the same
// input with the same errors (adaptertest holds them to it). Every error
// wraps ErrInvalidInput and names the field, never its value.
package input

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidInput is luciapg.ErrInvalidInput; see its documentation there.
var ErrInvalidInput = errors.New("luciapg: invalid input")

// MaxIDBytes is luciapg.MaxIDBytes; see its documentation there.
const MaxIDBytes = 1024

// MaxIdentifierBytes is PostgreSQL's limit on identifier length
// (NAMEDATALEN - 1). Longer names are silently truncated by the server, so a
// longer attribute name could address a different column; it is refused.
const MaxIdentifierBytes = 63

// Storable reports whether PostgreSQL's text type can hold s: it rejects
// NUL bytes and invalid UTF-8 with an encoding error that would echo the
// offending bytes.
func Storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// Findable reports whether a row could have id s. Lookups of ids that can
// never be stored read as "not found" without a round trip.
func Findable(id string) bool {
	return id != "" && len(id) <= MaxIDBytes && Storable(id)
}

// ID refuses an id that could not be stored, naming the field only.
func ID(field, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	if len(id) > MaxIDBytes {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidInput, field, MaxIDBytes)
	}
	if !Storable(id) {
		return fmt.Errorf("%w: %s contains a NUL byte or invalid UTF-8", ErrInvalidInput, field)
	}
	return nil
}

// UserID is the rule SetUser applies to a user id.
func UserID(userID string) error {
	return ID("user id", userID)
}

// Key is the rule SetKey applies: an id or user id that could not be
// stored, a password hash text cannot hold, or a primary key with an
// expiry. Lucia's useKey treats a key with an expiry as single-use and
// consumes it, which a primary key never is, so such a key could never be
// used. SetUser checks its key the same way, once an empty user id has been
// given the user's id.
func Key(id, userID string, primary bool, hashedPassword *string, expires *int64) error {
	if err := ID("key id", id); err != nil {
		return err
	}
	if err := ID("key user id", userID); err != nil {
		return err
	}
	if primary && expires != nil {
		return fmt.Errorf("%w: a primary key cannot expire", ErrInvalidInput)
	}
	return HashedPassword(hashedPassword)
}

// HashedPassword refuses a hash text cannot hold. A nil hash (no password)
// is fine.
func HashedPassword(hashedPassword *string) error {
	if hashedPassword != nil && !Storable(*hashedPassword) {
		return fmt.Errorf("%w: hashed password contains a NUL byte or invalid UTF-8", ErrInvalidInput)
	}
	return nil
}

// ErrSessionNotKeyUser refuses, in SetSessionForKey, a session for another
// user than the key's: the Store and memadapter alike.
var ErrSessionNotKeyUser = fmt.Errorf("%w: session.UserID is not the key's user", ErrInvalidInput)

// Session refuses a session whose id or user id could not be stored.
func Session(id, userID string) error {
	if err := ID("session id", id); err != nil {
		return err
	}
	return ID("session user id", userID)
}

// ThrottleKey refuses a throttle key that could not be stored, like an id.
// The error never repeats the key, which may hold a client's address or
// account name.
func ThrottleKey(throttleKey string) error {
	return ID("throttle key", throttleKey)
}

// Attempt refuses the key and time of a CountAttempt that no throttle can
// honour: a key ThrottleKey refuses, or a time outside the years 1 to 9999
// (the zero time included: a caller that forgot to set it). The policy is
// checked by luciapg.ThrottlePolicy.Validate.
func Attempt(throttleKey string, now time.Time) error {
	if err := ThrottleKey(throttleKey); err != nil {
		return err
	}
	if now.IsZero() || now.Year() < 1 || now.Year() > 9999 {
		return fmt.Errorf("%w: the attempt's time is the zero time or outside the years 1 to 9999", ErrInvalidInput)
	}
	return nil
}

// AttributeNames returns the map's keys, validated and sorted: the rule
// SetUser and UpdateUserAttributes apply before any SQL. A name that cannot
// address exactly one column (empty, "id", a NUL byte or invalid UTF-8,
// longer than PostgreSQL's 63-byte identifiers) or a string value text
// cannot hold is refused. A name that is merely unknown passes: that is the
// storage's own error.
func AttributeNames(attributes map[string]any) ([]string, error) {
	names := make([]string, 0, len(attributes))
	for name, value := range attributes {
		if err := attributeName(name); err != nil {
			return nil, err
		}
		if err := attributeValue(name, value); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// attributeName refuses names that cannot address exactly one column. Any
// other name, quotes and semicolons included, is quoted safely and left for
// PostgreSQL to resolve (an unknown column is its error 42703).
func attributeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: attribute name is empty", ErrInvalidInput)
	case name == "id":
		return fmt.Errorf("%w: attribute name %q is reserved for the user id", ErrInvalidInput, name)
	case !Storable(name):
		return fmt.Errorf("%w: attribute name contains a NUL byte or invalid UTF-8", ErrInvalidInput)
	case len(name) > MaxIdentifierBytes:
		return fmt.Errorf("%w: attribute name is longer than %d bytes", ErrInvalidInput, MaxIdentifierBytes)
	}
	return nil
}

// attributeValue refuses a string value that text cannot hold, naming the
// attribute but not the value.
func attributeValue(name string, value any) error {
	var text *string
	switch v := value.(type) {
	case string:
		text = &v
	case *string:
		text = v
	}
	if text != nil && !Storable(*text) {
		return fmt.Errorf("%w: attribute %q contains a NUL byte or invalid UTF-8", ErrInvalidInput, name)
	}
	return nil
}

// DuplicateAttribute returns luciapg.ErrDuplicateAttribute's error for a
// UNIQUE attribute column, for memadapter. The root package, which owns
// the error type, sets it when it is loaded.
var DuplicateAttribute func(column string) error

// IsNil reports whether v, an interface a constructor was given, is nil or
// holds a nil pointer (a nil *luciapg.Store is a non-nil adapter).
func IsNil(v any) bool {
	r := reflect.ValueOf(v)
	return v == nil || r.Kind() == reflect.Pointer && r.IsNil()
}
