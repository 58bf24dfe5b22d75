package auth_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// TestSecondFactorConfig: New refuses second-factor settings that cannot
// mean what they say, naming the field and never a key's bytes.
func TestSecondFactorConfig(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0x5e}, 32)
	tests := []struct {
		name string
		cfg  auth.Config
		want string
	}{
		{"negative PendingLoginPeriod", auth.Config{PendingLoginPeriod: -time.Second}, "PendingLoginPeriod"},
		{"negative SudoPeriod", auth.Config{SudoPeriod: -time.Second}, "SudoPeriod"},
		{"negative LastSeenInterval", auth.Config{LastSeenInterval: -time.Second}, "LastSeenInterval"},
		{"empty key id", auth.Config{SecretKeys: []auth.SecretKey{{ID: "", Key: key}}}, "SecretKeys[0].ID"},
		{"long key id", auth.Config{SecretKeys: []auth.SecretKey{{ID: strings.Repeat("k", 33), Key: key}}}, "SecretKeys[0].ID"},
		{"key id with a colon", auth.Config{SecretKeys: []auth.SecretKey{{ID: "a:b", Key: key}}}, "SecretKeys[0].ID"},
		{"duplicate key id", auth.Config{SecretKeys: []auth.SecretKey{{ID: "k1", Key: key}, {ID: "k1", Key: key}}}, "SecretKeys[1].ID"},
		{"short key", auth.Config{SecretKeys: []auth.SecretKey{{ID: "k1", Key: key[:16]}}}, "SecretKeys[0].Key is 16 bytes"},
		{"issuer with a colon", auth.Config{TOTPIssuer: "Example: Inc"}, "TOTPIssuer"},
		{"negative throttle", auth.Config{SecondFactorThrottle: luciapg.ThrottlePolicy{FreeAttempts: -1}}, "SecondFactorThrottle"},
		{"throttle window under its delay", auth.Config{SecondFactorThrottle: luciapg.ThrottlePolicy{MaxDelay: 48 * time.Hour}}, "SecondFactorThrottle"},
	}
	for _, tt := range tests {
		_, err := auth.New(memadapter.New(), tt.cfg)
		if !errors.Is(err, luciapg.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrInvalidConfig naming %s", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), string(key[:4])) {
			t.Errorf("%s: the error holds the key: %v", tt.name, err)
		}
	}
	_, err := auth.New(memadapter.New(), auth.Config{SecretKeys: []auth.SecretKey{{ID: "2026-01_a", Key: key}, {ID: "K", Key: key}}})
	wantNoErr(t, "New with two keys", err)
}
