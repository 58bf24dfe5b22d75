package auth

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// Lucia v1's scrypt parameters. Hashes made with them are interchangeable
// with a Lucia v1 JavaScript app sharing the database.
const (
	scryptN          = 16384
	scryptR          = 16 // "s2" hashes
	scryptRLegacy    = 8  // hashes without a version prefix, from before "s2"
	scryptP          = 1
	scryptKeyLength  = 64
	passwordSaltSize = 16
	hashVersionS2    = "s2"
)

// ErrMalformedHash reports a stored password hash that is not in a format
// Lucia v1 writes ("s2:<salt>:<128 hex>" or the legacy "<salt>:<128 hex>").
// The error never contains the hash.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// HashPassword returns a Lucia v1 password hash of password:
// "s2:<salt>:<key>", where salt is 16 random characters of a-z, A-Z, 0-9
// and key is the lowercase hex of a 64-byte scrypt key (N=16384, r=16, p=1)
// of the NFKC-normalized password, salted with the salt's bytes.
//
// Hashing takes tens of milliseconds of CPU by design; call it without
// holding a database connection.
func HashPassword(password string) (string, error) {
	salt, err := randomString(passwordSaltSize)
	if err != nil {
		return "", err
	}
	return hashPasswordWithSalt(password, salt)
}

// hashPasswordWithSalt is HashPassword with a given salt, for test vectors.
func hashPasswordWithSalt(password, salt string) (string, error) {
	key, err := scryptKey(norm.NFKC.String(password), salt, scryptR)
	if err != nil {
		return "", err
	}
	return hashVersionS2 + ":" + salt + ":" + hex.EncodeToString(key), nil
}

// VerifyPassword reports whether password matches hash, a hash made by
// HashPassword or by Lucia v1 (including legacy "<salt>:<key>" hashes,
// which use scrypt with r=8). The keys are compared in constant time.
//
// Unlike Lucia v1, the password is NFKC-normalized before it is checked
// against an "s2" hash, as it was when the hash was made; v1 skipped that
// step, so passwords that NFKC changes never matched. Legacy hashes may
// predate normalization, so they are checked against the normalized
// password and, if it differs, the password as given.
//
// A hash in no known format is an error wrapping ErrMalformedHash, never a
// plain false, so a corrupt row is told apart from a wrong password.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, ":")
	switch {
	case len(parts) == 3 && parts[0] == hashVersionS2:
		return verifyScrypt(parts[1], parts[2], norm.NFKC.String(password), scryptR)
	case len(parts) == 2:
		salt, key := parts[0], parts[1]
		normalized := norm.NFKC.String(password)
		ok, err := verifyScrypt(salt, key, normalized, scryptRLegacy)
		if ok || err != nil || normalized == password {
			return ok, err
		}
		return verifyScrypt(salt, key, password, scryptRLegacy)
	default:
		return false, ErrMalformedHash
	}
}

// verifyScrypt derives the key of password with salt and compares it with
// the hex-encoded storedKey in constant time.
func verifyScrypt(salt, storedKey, password string, r int) (bool, error) {
	want, err := hex.DecodeString(storedKey)
	if salt == "" || err != nil || len(want) != scryptKeyLength {
		return false, ErrMalformedHash
	}
	got, err := scryptKey(password, salt, r)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func scryptKey(password, salt string, r int) ([]byte, error) {
	key, err := scrypt.Key([]byte(password), []byte(salt), scryptN, r, scryptP, scryptKeyLength)
	if err != nil {
		return nil, fmt.Errorf("auth: scrypt: %w", err)
	}
	return key, nil
}
