package tokens

import (
	"fmt"
	"log/slog"
	"time"
)

// Token is an issued token, as @lucia-auth/tokens' Token class describes
// one. Its Value is a secret: String, GoString and LogValue leave it out,
// so a Token printed or logged by mistake does not give it away.
type Token struct {
	// Value is what the user is sent: the ID token itself (in a link), or
	// the one-time code. It is a secret until used.
	Value string
	// UserID is the user the token was issued to.
	UserID string
	// ExpiresAt is when the token stops being valid, to the millisecond
	// (as stored).
	ExpiresAt time.Time
	// Expired reports whether the token was past ExpiresAt when it was
	// read (UserTokens).
	Expired bool
}

// String describes the token without its value.
func (t Token) String() string {
	return fmt.Sprintf("token for user %s, expires %s, expired %t", t.UserID, t.ExpiresAt.UTC().Format(time.RFC3339), t.Expired)
}

// GoString is String, so that %#v does not print the value either.
func (t Token) GoString() string { return t.String() }

// LogValue gives log/slog the token without its value.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user_id", t.UserID),
		slog.Time("expires_at", t.ExpiresAt),
		slog.Bool("expired", t.Expired),
	)
}
