package auth

import (
	"crypto/sha256"
	"encoding/hex"
)

// SessionLabel names a session without showing its id, the secret its
// cookie carries: the first 3 bytes of the id's SHA-256 in hex (6
// characters). The example web app's account page and the luciapg CLI
// both show it, so a user and an administrator can speak of the same
// session; it identifies a session among a user's few, not globally.
func SessionLabel(sessionID string) string {
	sum := sha256.Sum256([]byte(sessionID))
	return hex.EncodeToString(sum[:3])
}

// sessionLabelLength is the length of a SessionLabel.
const sessionLabelLength = 6
