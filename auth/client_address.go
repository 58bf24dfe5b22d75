package auth

import "context"

type clientKey struct{}

// client is what the context of a request says of its client: one value,
// so that a middleware adds both with one context.WithValue.
type client struct {
	address   string
	userAgent string
}

// WithClientAddress returns ctx carrying the address of the client a
// request came from, such as "192.0.2.1" or "2001:db8::1". UseKey and
// UsePasswordlessKey then also throttle attempts per address (see
// Config.AddressThrottle), and the sessions, audit events and notices the
// core makes record it. authhttp's Middleware does this for every request
// (with WithClient); other routers can do the same. Give the address the
// server itself saw, or one a trusted proxy reported: never a header any
// client can set, or each guess could claim a new address. An empty addr
// leaves ctx as it is.
func WithClientAddress(ctx context.Context, addr string) context.Context {
	if addr == "" {
		return ctx
	}
	c, _ := ctx.Value(clientKey{}).(client)
	c.address = addr
	return context.WithValue(ctx, clientKey{}, c)
}

// WithClient returns ctx carrying the client's address (as
// WithClientAddress) and its User-Agent header, which the sessions and
// audit events the core makes record (cut to luciapg.MaxUserAgentBytes).
// Empty values are left out; both empty leaves ctx as it is.
func WithClient(ctx context.Context, addr, userAgent string) context.Context {
	if addr == "" && userAgent == "" {
		return ctx
	}
	c, _ := ctx.Value(clientKey{}).(client)
	if addr != "" {
		c.address = addr
	}
	if userAgent != "" {
		c.userAgent = userAgent
	}
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientAddress returns the address WithClientAddress or WithClient put in
// ctx, and false when there is none.
func ClientAddress(ctx context.Context) (string, bool) {
	c, _ := ctx.Value(clientKey{}).(client)
	return c.address, c.address != ""
}

// ClientUserAgent returns the user agent WithClient put in ctx, and false
// when there is none.
func ClientUserAgent(ctx context.Context) (string, bool) {
	c, _ := ctx.Value(clientKey{}).(client)
	return c.userAgent, c.userAgent != ""
}
