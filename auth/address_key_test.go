package auth_test

import (
	"errors"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// AddressKey counts an IPv6 client by its network (/64 unless
// configured), an IPv4 one by its address.
func TestAddressKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		prefix     int
		addr, want string
	}{
		{0, "192.0.2.1", "192.0.2.1"},
		{0, "::ffff:192.0.2.1", "192.0.2.1"},
		{0, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{0, "2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{0, "fe80::1%eth0", "fe80::/64"},
		{56, "2001:db8:1:2ff::1", "2001:db8:1:200::/56"},
		{128, "2001:db8::1", "2001:db8::1/128"},
		{0, "not an address", "not an address"},
	} {
		a := mustAuth(auth.New(memadapter.New(), auth.Config{IPv6PrefixLength: tt.prefix}))
		if got := a.AddressKey(tt.addr); got != tt.want {
			t.Errorf("IPv6PrefixLength %d: AddressKey(%q) = %q, want %q", tt.prefix, tt.addr, got, tt.want)
		}
	}
}

func TestNewRefusesSignUpAndPrefixLimits(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]auth.Config{
		"IPv6PrefixLength above 128":                     {IPv6PrefixLength: 129},
		"negative IPv6PrefixLength":                      {IPv6PrefixLength: -1},
		"MaxConcurrentSignUpHashes above the hash turns": {MaxConcurrentHashes: 2, MaxConcurrentSignUpHashes: 3},
		"negative MaxConcurrentSignUpHashes":             {MaxConcurrentSignUpHashes: -1},
		"SignUpThrottle that Validate refuses":           {SignUpThrottle: luciapg.ThrottlePolicy{BaseDelay: 2, MaxDelay: 1}},
	} {
		if _, err := auth.New(memadapter.New(), cfg); !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("%s: New returned %v, want ErrInvalidConfig", name, err)
		}
	}
}
