package input

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds of sessions' metadata, the audit log and email changes; the
// first two are luciapg.MaxUserAgentBytes and luciapg.MaxAuditDetailBytes
// (a root package test keeps them equal).
const (
	MaxUserAgentBytes   = 512
	MaxAuditDetailBytes = 256
	// MaxAuditKindBytes bounds an audit event's kind.
	MaxAuditKindBytes = 64
	// MaxEmailBytes is the longest address SMTP carries (RFC 5321's 254
	// octets of a forward path, less its angle brackets).
	MaxEmailBytes = 254
	// MaxClientAddressBytes bounds a client address: an IPv6 network
	// with a zone fits many times over, and the audit log's index of
	// sign-ins (user id, address, user agent) stays below PostgreSQL's
	// limit on an index entry.
	MaxClientAddressBytes = 256
)

// UserAgent returns ua as sessions' metadata and the audit log keep it:
// text PostgreSQL can store (invalid UTF-8 replaced with U+FFFD, NUL bytes
// dropped), cut to MaxUserAgentBytes at a character boundary. A User-Agent
// header is whatever the client sent: refusing a strange one would fail
// the sign-in it came with. A usual one is returned as it is, without a
// copy.
func UserAgent(ua string) string {
	if len(ua) <= MaxUserAgentBytes && Storable(ua) {
		return ua
	}
	ua = strings.ReplaceAll(strings.ToValidUTF8(ua, "\uFFFD"), "\x00", "")
	if len(ua) <= MaxUserAgentBytes {
		return ua
	}
	end := MaxUserAgentBytes
	for end > 0 && !utf8.RuneStart(ua[end]) {
		end--
	}
	return ua[:end]
}

// optionalText refuses text that is set but longer than maxBytes or not
// storable; "" (unknown) passes.
func optionalText(field, s string, maxBytes int) error {
	if len(s) > maxBytes {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidInput, field, maxBytes)
	}
	if !Storable(s) {
		return fmt.Errorf("%w: %s contains a NUL byte or invalid UTF-8", ErrInvalidInput, field)
	}
	return nil
}

// SessionOrigin is the rule a session insert applies to the origin its
// context carries; the user agent is not refused but cut (UserAgent).
func SessionOrigin(at time.Time, clientAddress string) error {
	if err := Time("session origin time", at); err != nil {
		return err
	}
	return optionalText("session origin client address", clientAddress, MaxClientAddressBytes)
}

// AuditEvent is the rule an audit event's write applies: a kind of 1 to
// MaxAuditKindBytes bytes, a time, and optional fields storable as text,
// Detail at most MaxAuditDetailBytes. The user agent is not refused but
// cut (UserAgent), as a session's origin's is.
func AuditEvent(at time.Time, kind, userID, sessionLabel, clientAddress, detail string) error {
	if kind == "" {
		return fmt.Errorf("%w: audit event kind is empty", ErrInvalidInput)
	}
	if err := optionalText("audit event kind", kind, MaxAuditKindBytes); err != nil {
		return err
	}
	if err := Time("audit event time", at); err != nil {
		return err
	}
	if err := optionalText("audit event user id", userID, MaxIDBytes); err != nil {
		return err
	}
	if err := optionalText("audit event session label", sessionLabel, MaxIDBytes); err != nil {
		return err
	}
	if err := optionalText("audit event client address", clientAddress, MaxClientAddressBytes); err != nil {
		return err
	}
	return optionalText("audit event detail", detail, MaxAuditDetailBytes)
}

// AuditPage is the rule ListAuditEvents applies to its query, and returns
// the page's size: 50 for a limit of 0.
func AuditPage(since time.Time, before int64, limit int) (int, error) {
	if !since.IsZero() {
		if err := Time("audit query since", since); err != nil {
			return 0, err
		}
	}
	if before < 0 {
		return 0, fmt.Errorf("%w: audit query before is negative", ErrInvalidInput)
	}
	switch {
	case limit == 0:
		return 50, nil
	case limit < 0 || limit > 1000:
		return 0, fmt.Errorf("%w: audit query limit is not between 1 and 1000", ErrInvalidInput)
	}
	return limit, nil
}

// PurgeLimit refuses a batch size a purge cannot use: below 1 or above
// the int32 a statement's LIMIT takes.
func PurgeLimit(limit int) error {
	if limit < 1 || limit > 1<<31-1 {
		return fmt.Errorf("%w: purge limit is not between 1 and %d", ErrInvalidInput, 1<<31-1)
	}
	return nil
}

// EmailChange is the rule SetEmailChange applies.
func EmailChange(userID, newEmail, tokenID string, expires time.Time) error {
	if err := UserID(userID); err != nil {
		return err
	}
	if newEmail == "" {
		return fmt.Errorf("%w: new email is empty", ErrInvalidInput)
	}
	if err := optionalText("new email", newEmail, MaxEmailBytes); err != nil {
		return err
	}
	if err := ID("email change token id", tokenID); err != nil {
		return err
	}
	return Time("email change expiry", expires)
}
