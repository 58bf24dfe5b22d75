package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// Vectors from the issue, computed by Lucia v1 for password "password123"
// and salt "0123456789abcdef".
const (
	vectorPassword   = "password123"
	vectorSalt       = "0123456789abcdef"
	vectorS2Hash     = "s2:0123456789abcdef:06f0075911f59cbbc65e0b9f260a29e593427041e7e5afc48cde8a5f72a544a104242cd57a21fc52aa1e9f737ee85fc558640d82204f7efe7da69e1cdd60b111"
	vectorLegacyHash = "0123456789abcdef:f60e4a8d634e226cf9f4621f3508668c2ad6645e6469c6a255bb0b4010da82a1380dcaf6b7460bae7a46eb58ecd555908c5f76748b72ae56d18bb5a58d606ba1"
)

func TestHashPasswordMatchesLuciaVector(t *testing.T) {
	t.Parallel()
	got, err := hashPasswordWithSalt(vectorPassword, vectorSalt)
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorS2Hash {
		t.Fatalf("hash of the test vector:\n got %s\nwant %s", got, vectorS2Hash)
	}
}

func TestVerifyPasswordVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		hash     string
		password string
		want     bool
	}{
		{"s2 right password", vectorS2Hash, vectorPassword, true},
		{"s2 wrong password", vectorS2Hash, "password124", false},
		{"s2 empty password", vectorS2Hash, "", false},
		{"legacy right password", vectorLegacyHash, vectorPassword, true},
		{"legacy wrong password", vectorLegacyHash, "Password123", false},
		{"s2 uppercase hex", "s2:" + vectorSalt + ":" + strings.ToUpper(vectorS2Hash[len("s2:"+vectorSalt+":"):]), vectorPassword, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := VerifyPassword(tt.hash, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashPasswordFormatAndRoundTrip(t *testing.T) {
	t.Parallel()
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^s2:[a-zA-Z0-9]{16}:[0-9a-f]{128}$`)
	if !format.MatchString(hash) {
		t.Fatalf("hash %q is not in Lucia v1's s2 format", hash)
	}
	other, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if other == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	// Wrong passwords are TestVerifyPasswordVectors' business; each scrypt
	// run takes seconds under the race detector.
	ok, err := VerifyPassword(hash, "correct horse")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword of its own hash = %v, %v; want true", ok, err)
	}
}

// Lucia v1 hashed the NFKC form of a password but verified the password as
// typed, so "ﬁsh" (with the U+FB01 ligature) could never log in. Both forms
// must verify here.
func TestVerifyPasswordNormalizesNFKC(t *testing.T) {
	t.Parallel()
	const ligature, plain = "\ufb01sh", "fish"
	hash, err := hashPasswordWithSalt(ligature, vectorSalt)
	if err != nil {
		t.Fatal(err)
	}
	// "fish" verifying shows the hash is of the NFKC form; the ligature
	// verifying shows VerifyPassword normalizes too.
	for _, password := range []string{plain, ligature} {
		ok, err := VerifyPassword(hash, password)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("VerifyPassword(hash, %q) = false, want true", password)
		}
	}
}

// Legacy hashes may have been made from the password as typed; they verify
// whether or not the stored key was of the normalized form.
func TestVerifyPasswordLegacyUnnormalized(t *testing.T) {
	t.Parallel()
	const ligature = "\ufb01sh"
	key, err := scryptKey(ligature, vectorSalt, scryptRLegacy)
	if err != nil {
		t.Fatal(err)
	}
	hash := vectorSalt + ":" + hexString(key)
	for password, want := range map[string]bool{ligature: true, "fish": false} {
		ok, err := VerifyPassword(hash, password)
		if err != nil {
			t.Fatal(err)
		}
		if ok != want {
			t.Errorf("VerifyPassword(legacy, %q) = %v, want %v", password, ok, want)
		}
	}
}

func TestVerifyPasswordMalformedHash(t *testing.T) {
	t.Parallel()
	key := vectorS2Hash[len("s2:"+vectorSalt+":"):]
	hashes := map[string]string{
		"empty":            "",
		"no separator":     "s2" + vectorSalt + key,
		"unknown version":  "s3:" + vectorSalt + ":" + key,
		"too many parts":   "s2:" + vectorSalt + ":" + key + ":x",
		"empty salt":       "s2::" + key,
		"short key":        "s2:" + vectorSalt + ":" + key[:126],
		"long key":         "s2:" + vectorSalt + ":" + key + "00",
		"not hex":          "s2:" + vectorSalt + ":" + strings.Repeat("zz", 64),
		"legacy not hex":   vectorSalt + ":" + strings.Repeat("g", 128),
		"legacy empty key": vectorSalt + ":",
	}
	for name, hash := range hashes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ok, err := VerifyPassword(hash, vectorPassword)
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("VerifyPassword = %v, %v; want ErrMalformedHash", ok, err)
			}
			if ok {
				t.Fatal("a malformed hash verified")
			}
			if strings.Contains(err.Error(), key[:16]) || strings.Contains(err.Error(), vectorSalt) {
				t.Fatalf("error text %q leaks the hash", err)
			}
		})
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0x0f])
	}
	return string(out)
}

// The package functions refuse a password over DefaultMaxPasswordBytes
// before scrypt runs: 3 MiB of U+FDFA (33 bytes each after NFKC) once took
// 1.3 s and 360 MiB.
func TestPackageFunctionsRefuseLongPasswords(t *testing.T) {
	t.Parallel()
	for name, long := range map[string]string{
		"one byte over":   strings.Repeat("a", DefaultMaxPasswordBytes+1),
		"3 MiB of U+FDFA": strings.Repeat("\ufdfa", 1<<20),
	} {
		if _, err := HashPassword(long); !errors.Is(err, ErrPasswordTooLong) {
			t.Errorf("HashPassword, %s: %v, want ErrPasswordTooLong", name, err)
		}
		if ok, err := VerifyPassword(vectorS2Hash, long); ok || !errors.Is(err, ErrPasswordTooLong) {
			t.Errorf("VerifyPassword, %s: %v, %v; want false, ErrPasswordTooLong", name, ok, err)
		}
	}
	// At the limit scrypt runs and answers.
	ok, err := VerifyPassword(vectorS2Hash, strings.Repeat("a", DefaultMaxPasswordBytes))
	if ok || err != nil {
		t.Fatalf("VerifyPassword at the limit = %v, %v; want false, nil", ok, err)
	}
}

// The dummy hash refusals verify against is a well-formed s2 hash, so a
// refusal runs the full scrypt of a real verification, not a quick
// ErrMalformedHash.
func TestScryptDummyHashIsWellFormed(t *testing.T) {
	t.Parallel()
	format := regexp.MustCompile(`^s2:[a-zA-Z0-9]{16}:[0-9a-f]{128}$`)
	if !format.MatchString(scryptDummyHash) {
		t.Fatalf("the dummy hash %q is not in the s2 format", scryptDummyHash)
	}
	if ok, err := verifyPassword(scryptDummyHash, "guess"); ok || err != nil {
		t.Fatalf("verifying against the dummy hash = %v, %v; want false, nil", ok, err)
	}
}
