package auth

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
)

// cleanUserAgent is what the core keeps of a User-Agent header: its text
// without control or format characters (NUL, line breaks, bidirectional
// overrides) or invalid UTF-8, which PostgreSQL would refuse and a mail
// body or log line could be bent by, cut to luciapg.MaxUserAgentBytes at a
// character boundary. An ordinary
// header comes back as it is, without an allocation.
func cleanUserAgent(ua string) string {
	return cleanText(ua, luciapg.MaxUserAgentBytes)
}

// cleanText is s with only graphic characters (letters, marks, numbers,
// punctuation, symbols, spaces) of valid UTF-8, and at most
// limit bytes (cut at a character boundary). It reads s only until the
// result is full, so a header of megabytes costs what its start costs.
func cleanText(s string, limit int) string {
	if len(s) <= limit && isPrintableASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), limit))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 || !unicode.IsGraphic(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// clientOf is what ctx says of its client, as the core records it: the
// address as the throttles key it (AddressKey) and the cleaned user agent,
// each empty when unknown.
func (a *Auth) clientOf(ctx context.Context) (address, userAgent string) {
	if addr, ok := ClientAddress(ctx); ok {
		address = cleanText(a.AddressKey(addr), maxClientAddressBytes)
	}
	if ua, ok := ClientUserAgent(ctx); ok {
		userAgent = cleanUserAgent(ua)
	}
	return address, userAgent
}

// maxClientAddressBytes bounds a recorded address: AddressKey returns an
// IP address or network as it is, and anything else (an application's own
// notion of a client) unchanged, so it is bounded like any other text.
const maxClientAddressBytes = 128
