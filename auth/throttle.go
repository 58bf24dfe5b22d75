package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// The throttle policies a zero Config gives. Five guesses at a password
// are free (typos); after that each attempt waits twice as long as the
// one before, so a guesser gets about a hundred attempts a day per key
// instead of millions, while its owner, after a success, starts again from
// zero. An address gets more: many people may share one (a NAT, an
// office), and its own keys are throttled too.
var (
	defaultKeyThrottle = luciapg.ThrottlePolicy{
		FreeAttempts: 5,
		BaseDelay:    time.Second,
		MaxDelay:     15 * time.Minute,
		Window:       24 * time.Hour,
	}
	defaultAddressThrottle = luciapg.ThrottlePolicy{
		FreeAttempts: 50,
		BaseDelay:    time.Second,
		MaxDelay:     15 * time.Minute,
		Window:       24 * time.Hour,
	}
	// Twenty sign-ups a day from one address leave room for a household
	// or an office; a flood waits.
	defaultSignUpThrottle = luciapg.ThrottlePolicy{
		FreeAttempts: 20,
		BaseDelay:    10 * time.Second,
		MaxDelay:     15 * time.Minute,
		Window:       24 * time.Hour,
	}
)

// countAttempt counts an attempt on keyID, and from the client address in
// ctx if any, before anything secret is checked. When either is blocked it
// returns a *TooManyAttemptsError and the attempt must stop there, without
// hashing. The address is counted first: an address already blocked
// then does not also push its target key's count up, which would lock the
// key's owner out on the guesser's behalf.
func (a *Auth) countAttempt(ctx context.Context, keyThrottleKey string) error {
	if addr, ok := ClientAddress(ctx); ok {
		if err := a.countOn(ctx, throttleKey("addr", a.AddressKey(addr)), a.addressThrottle); err != nil {
			return err
		}
	}
	return a.countOn(ctx, keyThrottleKey, a.keyThrottle)
}

func (a *Auth) countOn(ctx context.Context, throttleKey string, policy luciapg.ThrottlePolicy) error {
	retryAfter, err := a.adapter.CountAttempt(ctx, throttleKey, a.now(), policy)
	if err != nil {
		return err
	}
	if retryAfter > 0 {
		return &TooManyAttemptsError{RetryAfter: retryAfter}
	}
	return nil
}

// resetKeyAttempts forgets the key's attempts after a success, so its
// owner's typos from before do not count against them. The address's
// count is kept (see Config.AddressThrottle).
func (a *Auth) resetKeyAttempts(ctx context.Context, keyThrottleKey string) error {
	return a.adapter.ResetAttempts(ctx, keyThrottleKey)
}

// keyThrottleKey is the throttle key of a key id: "key#sha256:" and the
// id's SHA-256, for UseKey and UsePasswordlessKey alike (so a success on
// either forgets failures on both). The id is never stored readable: a
// passwordless key's id may itself be the secret (a one-time token or code
// is its provider user id), and a throttle row outlives the attempt. An
// operator looks a key up by hashing its id: encode(sha256('username:bob'),
// 'hex') in SQL.
func keyThrottleKey(keyID string) string {
	sum := sha256.Sum256([]byte(keyID))
	return "key#sha256:" + hex.EncodeToString(sum[:])
}

// countSignUp counts a sign-up from the client address in ctx, if any
// (Config.SignUpThrottle).
func (a *Auth) countSignUp(ctx context.Context) error {
	if addr, ok := ClientAddress(ctx); ok {
		return a.countOn(ctx, throttleKey("signup", a.AddressKey(addr)), a.signUpThrottle)
	}
	return nil
}

// AddressKey is what the throttles count a client address by, for an
// application that throttles something of its own per client (a mail
// sent, a form posted) the way the auth core does: an IPv4 address as it
// is ("192.0.2.1"), an IPv6 address as its network of
// Config.IPv6PrefixLength bits ("2001:db8:1:2::/64"), an IPv4-mapped IPv6
// address as its IPv4 address. Keying by the raw IPv6 address would let
// one subscriber rotate through the 2^64 addresses of their /64. Anything
// that is not an IP address is returned as it is.
func (a *Auth) AddressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		prefix, _ := ip.Prefix(a.ipv6PrefixLength)
		return prefix.String()
	}
	return ip.String()
}

// throttleKey returns kind + ":" + value, or, when that could not be
// stored (too long, or not valid text: a key id can be 1,024 bytes of
// anything), kind + "#sha256:" and the value's SHA-256, which identifies it
// as well.
func throttleKey(kind, value string) string {
	readable := kind + ":" + value
	if input.ThrottleKey(readable) == nil {
		return readable
	}
	sum := sha256.Sum256([]byte(value))
	return kind + "#sha256:" + hex.EncodeToString(sum[:])
}
