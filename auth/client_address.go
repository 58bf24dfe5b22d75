package auth

import "context"

type clientAddressKey struct{}

// WithClientAddress returns ctx carrying the address of the client a
// request came from, such as "192.0.2.1" or "2001:db8::1". UseKey and
// UsePasswordlessKey then also throttle attempts per address (see
// Config.AddressThrottle). authhttp's Middleware does this for every
// request; other routers can do the same. Give the address the server
// itself saw, or one a trusted proxy reported: never a header any client
// can set, or each guess could claim a new address. An empty addr leaves
// ctx as it is.
func WithClientAddress(ctx context.Context, addr string) context.Context {
	if addr == "" {
		return ctx
	}
	return context.WithValue(ctx, clientAddressKey{}, addr)
}

// ClientAddress returns the address WithClientAddress put in ctx, and false
// when there is none.
func ClientAddress(ctx context.Context) (string, bool) {
	addr, ok := ctx.Value(clientAddressKey{}).(string)
	return addr, ok
}
