package tokens

import (
	"strings"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
)

// storableID reports whether luciapg could store id as a key or user id
// (its rules for every id): not empty, at most luciapg.MaxIDBytes, valid
// UTF-8 without NUL. A token or user id that fails cannot name any row, so
// it is refused before any I/O, without counting an attempt.
func storableID(id string) bool {
	return id != "" && len(id) <= luciapg.MaxIDBytes && utf8.ValidString(id) && !strings.ContainsRune(id, 0)
}
