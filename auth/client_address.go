package auth

import "context"

type clientKey struct{}

// client is what the context of a request says of its client: one value,
// so that a middleware adds both with one context.
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
	c := clientFrom(ctx)
	c.address = addr
	return &clientContext{Context: ctx, client: c}
}

// WithClient returns ctx carrying the client's address (as
// WithClientAddress) and its User-Agent header, which the sessions and
// audit events the core makes record (cut to luciapg.MaxUserAgentBytes).
// Empty values are left out; both empty leaves ctx as it is.
func WithClient(ctx context.Context, addr, userAgent string) context.Context {
	if addr == "" && userAgent == "" {
		return ctx
	}
	c := clientFrom(ctx)
	if addr != "" {
		c.address = addr
	}
	if userAgent != "" {
		c.userAgent = userAgent
	}
	return &clientContext{Context: ctx, client: c}
}

// clientContext carries a client: one allocation per request where
// context.WithValue makes two (the context and the boxed value), for
// authhttp's Middleware, which adds one to every request.
type clientContext struct {
	context.Context
	client client
}

// Value implements context.Context.
func (c *clientContext) Value(key any) any {
	if key == (clientKey{}) {
		return &c.client
	}
	return c.Context.Value(key)
}

// clientFrom is the client in ctx, or none.
func clientFrom(ctx context.Context) client {
	if c, ok := ctx.Value(clientKey{}).(*client); ok {
		return *c
	}
	return client{}
}

// ClientAddress returns the address WithClientAddress or WithClient put in
// ctx, and false when there is none.
func ClientAddress(ctx context.Context) (string, bool) {
	c := clientFrom(ctx)
	return c.address, c.address != ""
}

// ClientUserAgent returns the user agent WithClient put in ctx, and false
// when there is none.
func ClientUserAgent(ctx context.Context) (string, bool) {
	c := clientFrom(ctx)
	return c.userAgent, c.userAgent != ""
}
