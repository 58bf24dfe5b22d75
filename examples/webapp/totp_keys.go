package main

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/luciapg/luciapg/auth"
)

// parseTOTPKeys reads $TOTP_SECRET_KEYS: comma-separated "id:key" pairs,
// each key 32 random bytes in standard base64 (openssl rand -base64 32),
// the first one sealing new authenticator-app secrets and the others
// still opening the ones they sealed, so that a key can be rotated. Empty
// means none: authenticator apps are off. The errors name the variable
// and the pair's position, never a key.
func parseTOTPKeys(value string) ([]auth.SecretKey, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var keys []auth.SecretKey
	for i, pair := range strings.Split(value, ",") {
		id, encoded, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok {
			return nil, fmt.Errorf("$TOTP_SECRET_KEYS: entry %d is not id:base64-key", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("$TOTP_SECRET_KEYS: the key of entry %d (%q) is not 32 bytes in base64; make one with openssl rand -base64 32", i+1, id)
		}
		keys = append(keys, auth.SecretKey{ID: id, Key: key})
	}
	return keys, nil
}
