package auth

import (
	"crypto/rand"
	"fmt"
)

// idAlphabet is the character set of generated user ids, session ids and
// password salts: a-z, A-Z and 0-9.
const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomString returns length characters drawn uniformly from idAlphabet
// with crypto/rand. Each random byte is used only when it falls below the
// largest multiple of the alphabet's size (rejection sampling), so no
// character is likelier than another.
func randomString(length int) (string, error) {
	const alphabetSize = len(idAlphabet)
	// 248 = 4 × 62: bytes 248..255 would favour the first 8 characters.
	const limit = 256 - 256%alphabetSize
	out := make([]byte, 0, length)
	buf := make([]byte, length+length/4+8)
	for len(out) < length {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("auth: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, idAlphabet[int(b)%alphabetSize])
			if len(out) == length {
				break
			}
		}
	}
	return string(out), nil
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: reading random bytes: %w", err)
	}
	return b, nil
}
