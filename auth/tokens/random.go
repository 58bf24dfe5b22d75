package tokens

import (
	"crypto/rand"
	"fmt"
)

// The alphabets of @lucia-auth/tokens' default generators: 62
// alphanumerics for ID tokens, digits for password tokens' codes.
const (
	idTokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890"
	codeAlphabet    = "0123456789"
)

// randomString returns length characters drawn uniformly from alphabet
// (at most 256 single-byte characters) with crypto/rand. A random byte is
// used only when it falls below the largest multiple of the alphabet's
// size, so that no character is likelier than another.
func randomString(length int, alphabet string) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, length)
	buf := make([]byte, length+length/2+8)
	for len(out) < length {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("tokens: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%len(alphabet)])
			if len(out) == length {
				break
			}
		}
	}
	return string(out), nil
}
