package luciapg

import "github.com/luciapg/luciapg/internal/input"

// MaxIDBytes is the longest id, in bytes, that luciapg stores: user,
// session and key ids alike. Real ids are far shorter (Lucia generates 15
// and 40 characters; a key id is a provider name and an account id), so the
// limit only stops hostile input: a lookup of a longer id reads as "not
// found" without a round trip, and a write is refused with ErrInvalidInput.
// It also keeps every accepted id below PostgreSQL's limit on a btree index
// entry (about 2.7 kB), which an incompressible id would otherwise hit.
const MaxIDBytes = input.MaxIDBytes

// findable reports whether a row could have id s (see input.Findable).
func findable(id string) bool { return input.Findable(id) }

// checkKey is the rule SetKey applies to key.
func checkKey(key Key) error {
	return input.Key(key.ID, key.UserID, key.PrimaryKey, key.HashedPassword, key.Expires)
}
