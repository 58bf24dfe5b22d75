package main

import (
	"strings"
	"testing"
)

// $TOTP_SECRET_KEYS: id:key pairs, the first sealing; a malformed entry
// is refused naming the variable and its position, never the key.
func TestParseTOTPKeys(t *testing.T) {
	t.Parallel()
	const k1 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	const k2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=" // 32 bytes
	keys, err := parseTOTPKeys(" new:" + k1 + ", old:" + k2)
	if err != nil || len(keys) != 2 || keys[0].ID != "new" || keys[1].ID != "old" || string(keys[0].Key) != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("two keys: %v, %d keys", err, len(keys))
	}
	if keys, err := parseTOTPKeys(""); err != nil || keys != nil {
		t.Errorf("none: %v, %d keys", err, len(keys))
	}
	short := "c2hvcnQga2V5" // "short key"
	for _, value := range []string{"no-colon", "k:" + short, "k:not base64!", "new:" + k1 + ",k:" + short} {
		_, err := parseTOTPKeys(value)
		if err == nil || !strings.Contains(err.Error(), "$TOTP_SECRET_KEYS") || strings.Contains(err.Error(), short) || strings.Contains(err.Error(), k1) {
			t.Errorf("%q: %v, want an error naming the variable and no key", value, err)
		}
	}
}
