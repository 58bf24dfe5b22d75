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

// scryptDummyHash is what a refused UseKey verifies against when the
// hasher is scrypt, so that a refusal costs what a wrong password costs (see
// Auth.spendVerification). It was made once by HashPassword from 52 random
// characters that were then thrown away; nothing verifies against it.
const scryptDummyHash = "s2:YWM1qshdSp9D6geK:1d2360940934ca30f554e5c02639f4be91e753c0b0c9574d41ffad7d7ac2a6986aefd447717905e68437361971b209a023954c22da679d3cc17c6ab72357a98a"

// ErrMalformedHash reports a stored password hash that is not in a format
// Lucia v1 writes ("s2:<salt>:<128 hex>" or the legacy "<salt>:<128 hex>").
// The error never contains the hash.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// HashPassword returns a Lucia v1 password hash of password:
// "s2:<salt>:<key>", where salt is 16 random characters of a-z, A-Z, 0-9
// and key is the lowercase hex of a 64-byte scrypt key (N=16384, r=16, p=1)
// of the NFKC-normalized password, salted with the salt's bytes.
//
// A password longer than DefaultMaxPasswordBytes is ErrPasswordTooLong
// (Auth applies its own Config.MaxPasswordBytes). Hashing takes tens of
// milliseconds of CPU and 32 MiB of memory by design; call it without
// holding a database connection.
func HashPassword(password string) (string, error) {
	if len(password) > DefaultMaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	return hashPassword(password)
}

// hashPassword is HashPassword without the length limit, which Auth applies
// with its own configuration.
func hashPassword(password string) (string, error) {
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
// plain false, so a corrupt row is told apart from a wrong password. A
// password longer than DefaultMaxPasswordBytes is ErrPasswordTooLong.
func VerifyPassword(hash, password string) (bool, error) {
	if len(password) > DefaultMaxPasswordBytes {
		return false, ErrPasswordTooLong
	}
	return verifyPassword(hash, password)
}

// verifyPassword is VerifyPassword without the length limit.
func verifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, ":")
	switch {
	case len(parts) == 3 && parts[0] == hashVersionS2:
		return verifyScrypt(parts[1], parts[2], norm.NFKC.String(password), scryptR)
	case len(parts) == 2:
		// Always two r=8 derivations, the password normalized and as
		// given (the same twice when NFKC leaves it alone): together they
		// cost what one r=16 "s2" check costs, so a refusal takes as long
		// for a legacy hash as for a current one or for an unknown user
		// (the dummy check), and its time tells a guesser nothing.
		salt, key := parts[0], parts[1]
		okNormalized, err := verifyScrypt(salt, key, norm.NFKC.String(password), scryptRLegacy)
		if err != nil {
			return false, err
		}
		okAsGiven, err := verifyScrypt(salt, key, password, scryptRLegacy)
		if err != nil {
			return false, err
		}
		return okNormalized || okAsGiven, nil
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

// scryptHasher is Auth's default PasswordHasher: ScryptHasher without the
// package functions' length limit, since Auth checks its own.
type scryptHasher struct{}

func (scryptHasher) Hash(password string) (string, error) { return hashPassword(password) }

func (scryptHasher) Verify(hash, password string) (bool, error) {
	return verifyPassword(hash, password)
}

func (scryptHasher) NeedsRehash(hash string) bool { return isLegacyHash(hash) }

// isLegacyHash reports a Lucia v1 hash from before "s2": scrypt with r=8,
// half the work of the hashes made now.
func isLegacyHash(hash string) bool {
	return !strings.HasPrefix(hash, hashVersionS2+":") && strings.Count(hash, ":") == 1
}

// deriveKey is scrypt.Key; tests count the work it is asked for.
var deriveKey = scrypt.Key

func scryptKey(password, salt string, r int) ([]byte, error) {
	key, err := deriveKey([]byte(password), []byte(salt), scryptN, r, scryptP, scryptKeyLength)
	if err != nil {
		return nil, fmt.Errorf("auth: scrypt: %w", err)
	}
	return key, nil
}
