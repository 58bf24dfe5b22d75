package authhttp

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddress returns the address of the client r came from, as
// Middleware puts it in the request context for auth's per-address
// throttling (auth.WithClientAddress).
//
// By default it is the direct peer, the host of r.RemoteAddr: the one
// address a client cannot choose. Behind a reverse proxy every request
// comes from the proxy, so set Config.ClientAddressHeader to the header
// the proxy writes, such as "X-Forwarded-For". Its right-most entry is
// used: each proxy appends the address it received the request from, so
// the right-most one is what the trusted proxy itself saw, while entries
// to its left arrived with the request and anyone can write them — an
// attacker sending "X-Forwarded-For: <random>" would otherwise get a fresh
// address, and fresh free attempts, with every guess. With several proxies
// in a chain, have the outermost set a header of its own (such as
// X-Real-IP) from its peer, and name that one. A header that is missing or
// holds no IP address falls back to the peer.
//
// The address comes back in canonical form (an IPv4-mapped IPv6 address
// as IPv4); auth counts an IPv6 address with its whole /64.
func (s *Sessions) ClientAddress(r *http.Request) string {
	if s.clientAddressHeader != "" {
		if addr, ok := lastForwardedAddress(r.Header.Values(s.clientAddressHeader)); ok {
			return addr
		}
	}
	return peerAddress(r.RemoteAddr)
}

// lastForwardedAddress returns the right-most entry of a comma-separated
// header (over all its lines) if it is an IP address, with or without a
// port.
func lastForwardedAddress(values []string) (string, bool) {
	if len(values) == 0 {
		return "", false
	}
	entries := strings.Split(values[len(values)-1], ",")
	return parseAddress(strings.TrimSpace(entries[len(entries)-1]))
}

// peerAddress is the host of a RemoteAddr ("192.0.2.1:1234",
// "[2001:db8::1]:443"), or RemoteAddr itself when it has no port.
func peerAddress(remoteAddr string) string {
	if addr, ok := parseAddress(remoteAddr); ok {
		return addr
	}
	return remoteAddr
}

// parseAddress accepts "ip", "ip:port", "[ipv6]" and "[ipv6]:port", and
// returns the IP in canonical form without its zone.
func parseAddress(s string) (string, bool) {
	// The usual RemoteAddr, "192.0.2.1:1234": its host is canonical
	// already (netip refuses IPv4 with leading zeros), so it is returned
	// as it is, with no copy on every request.
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Is4() {
		return s[:strings.LastIndexByte(s, ':')], true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return ip.Unmap().WithZone("").String(), true
}
