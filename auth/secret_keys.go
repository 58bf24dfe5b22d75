package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"

	"github.com/luciapg/luciapg"
)

// SecretKey is an application key that seals authenticator-app secrets
// (AES-256-GCM): a database dump without it yields no usable secret.
type SecretKey struct {
	// ID names the key in each sealed secret, so that keys can be rotated:
	// 1 to 32 characters of [A-Za-z0-9_-].
	ID string
	// Key is 32 random bytes.
	Key []byte
}

// secretKey is a configured SecretKey, ready to seal and open.
type secretKey struct {
	id   string
	aead cipher.AEAD
}

// secretKeyID is what a SecretKey's ID may be: it is stored beside every
// secret it seals, and read by people rotating keys.
var secretKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// newSecretKeys checks Config.SecretKeys and makes their ciphers. The
// errors name the key by its position, never its bytes.
func newSecretKeys(keys []SecretKey) ([]secretKey, error) {
	out := make([]secretKey, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		switch {
		case !secretKeyID.MatchString(k.ID):
			return nil, fmt.Errorf("%w: auth: SecretKeys[%d].ID must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -", luciapg.ErrInvalidConfig, i)
		case seen[k.ID]:
			return nil, fmt.Errorf("%w: auth: SecretKeys[%d].ID %q is not unique", luciapg.ErrInvalidConfig, i, k.ID)
		case len(k.Key) != 32:
			return nil, fmt.Errorf("%w: auth: SecretKeys[%d].Key is %d bytes, not 32", luciapg.ErrInvalidConfig, i, len(k.Key))
		}
		seen[k.ID] = true
		// aes.NewCipher copies the key, so a caller reusing its slice
		// changes nothing here.
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: auth: SecretKeys[%d]: %w", luciapg.ErrInvalidConfig, i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: auth: SecretKeys[%d]: %w", luciapg.ErrInvalidConfig, i, err)
		}
		out = append(out, secretKey{id: k.ID, aead: aead})
	}
	return out, nil
}

// errNoSecretKeys and errUnknownSecretKey say why an authenticator app
// cannot be used; both wrap ErrSecondFactorsUnavailable.
var (
	errNoSecretKeys     = fmt.Errorf("%w: auth: no Config.SecretKeys to seal authenticator-app secrets", ErrSecondFactorsUnavailable)
	errUnknownSecretKey = fmt.Errorf("%w: auth: the authenticator app's secret was sealed with a key that is not in Config.SecretKeys", ErrSecondFactorsUnavailable)
	errSealedSecret     = errors.New("auth: a sealed authenticator-app secret does not open: altered, or moved from another user's row")
)

// sealingKey returns the key that seals new secrets: the first.
func (a *shared) sealingKey() (secretKey, error) {
	if len(a.secretKeys) == 0 {
		return secretKey{}, errNoSecretKeys
	}
	return a.secretKeys[0], nil
}

// seal encrypts secret for userID under k: a random 12-byte nonce, then
// the ciphertext and tag.
func (k secretKey) seal(userID string, secret []byte) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(secret)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("auth: reading random bytes: %w", err)
	}
	return k.aead.Seal(nonce, nonce, secret, sealingContext(k.id, userID)), nil
}

// openSecret decrypts a stored secret with the key named in the row. A
// row whose secret was sealed for another user (copied into this user's
// row) or altered does not open.
func (a *shared) openSecret(row luciapg.TOTP) ([]byte, error) {
	if len(a.secretKeys) == 0 {
		return nil, errNoSecretKeys
	}
	for _, k := range a.secretKeys {
		if k.id != row.EncryptionKeyID {
			continue
		}
		n := k.aead.NonceSize()
		if len(row.EncryptedSecret) < n+k.aead.Overhead() {
			return nil, errSealedSecret
		}
		secret, err := k.aead.Open(nil, row.EncryptedSecret[:n], row.EncryptedSecret[n:], sealingContext(k.id, row.UserID))
		if err != nil {
			return nil, errSealedSecret
		}
		return secret, nil
	}
	return nil, errUnknownSecretKey
}

// sealingContext is the additional data a secret is sealed with: what it
// is, the key's id and the user's. Neither id can hold a NUL byte (key ids
// are [A-Za-z0-9_-], user ids are refused with one), so the NUL-separated
// concatenation is unambiguous.
func sealingContext(keyID, userID string) []byte {
	return []byte("luciapg totp secret v1\x00" + keyID + "\x00" + userID)
}
