package luciapg

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// storable reports whether PostgreSQL's text type can hold s: it rejects
// NUL bytes and invalid UTF-8 with an encoding error that would echo the
// offending bytes.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// MaxIDBytes is the longest id, in bytes, that luciapg stores: user,
// session and key ids alike. Real ids are far shorter (Lucia generates 15
// and 40 characters; a key id is a provider name and an account id), so the
// limit only stops hostile input: a lookup of a longer id reads as "not
// found" without a round trip, and a write is refused with ErrInvalidInput.
// It also keeps every accepted id below PostgreSQL's limit on a btree index
// entry (about 2.7 kB), which an incompressible id would otherwise hit.
const MaxIDBytes = 1024

// findable reports whether a row could have id s. Lookups of ids that can
// never be stored read as "not found" without a round trip.
func findable(id string) bool {
	return id != "" && len(id) <= MaxIDBytes && storable(id)
}

// checkID refuses an id that could not be stored, naming the field only.
func checkID(field, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	if len(id) > MaxIDBytes {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidInput, field, MaxIDBytes)
	}
	if !storable(id) {
		return fmt.Errorf("%w: %s contains a NUL byte or invalid UTF-8", ErrInvalidInput, field)
	}
	return nil
}

// checkText refuses optional text that could not be stored.
func checkText(field string, s *string) error {
	if s != nil && !storable(*s) {
		return fmt.Errorf("%w: %s contains a NUL byte or invalid UTF-8", ErrInvalidInput, field)
	}
	return nil
}

// The exported checks below are the Store's rules for what it stores. Other
// adapters (memadapter, or an application's own) call them so that every
// adapter refuses exactly the same input with the same ErrInvalidInput
// errors; adaptertest holds them to it.

// CheckUserID returns the error SetUser gives for a user id that could not
// be stored, or nil.
func CheckUserID(userID string) error {
	return checkID("user id", userID)
}

// CheckKey returns the error SetKey gives for key, or nil: an id or user id
// that could not be stored, a password hash text cannot hold, or a primary
// key with an expiry. Lucia's useKey treats a key with an expiry as
// single-use and consumes it, which a primary key never is, so such a key
// could never be used. SetUser checks its key the same way, once an empty
// UserID has been given the user's id.
func CheckKey(key Key) error {
	if err := checkID("key id", key.ID); err != nil {
		return err
	}
	if err := checkID("key user id", key.UserID); err != nil {
		return err
	}
	if key.PrimaryKey && key.Expires != nil {
		return fmt.Errorf("%w: a primary key cannot expire", ErrInvalidInput)
	}
	return CheckHashedPassword(key.HashedPassword)
}

// CheckHashedPassword returns the error UpdateKeyPassword gives for a hash
// text cannot hold, or nil. A nil hash (no password) is fine.
func CheckHashedPassword(hashedPassword *string) error {
	return checkText("hashed password", hashedPassword)
}

// CheckSession returns the error SetSession gives for a session whose id or
// user id could not be stored, or nil.
func CheckSession(session Session) error {
	if err := checkID("session id", session.ID); err != nil {
		return err
	}
	return checkID("session user id", session.UserID)
}
