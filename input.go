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

// checkKey refuses a key whose text fields could not be stored.
func checkKey(key Key) error {
	if err := checkID("key id", key.ID); err != nil {
		return err
	}
	if err := checkID("key user id", key.UserID); err != nil {
		return err
	}
	return checkText("hashed password", key.HashedPassword)
}

// checkSession refuses a session whose ids could not be stored.
func checkSession(s Session) error {
	if err := checkID("session id", s.ID); err != nil {
		return err
	}
	return checkID("session user id", s.UserID)
}
