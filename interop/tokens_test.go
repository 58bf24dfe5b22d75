package interop

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// The token names both apps use, as an application would configure them on
// each side.
const (
	resetTokens = "password-reset"
	emailCodes  = "email-code"
)

// tokenLifetime is how long both sides' tokens stay valid: an hour, which
// @lucia-auth/tokens counts in seconds.
const (
	tokenLifetime        = time.Hour
	tokenLifetimeSeconds = 3600
)

// The formats of @lucia-auth/tokens' default generators, which Go's follow.
var (
	idTokenFormat = regexp.MustCompile(`^[a-zA-Z0-9]{43}$`)
	codeFormat    = regexp.MustCompile(`^[0-9]{8}$`)
)

// luciaToken is a @lucia-auth/tokens Token as lucia.js returns it.
type luciaToken struct {
	Value     string `json:"value"`
	UserID    string `json:"userId"`
	ExpiresAt int64  `json:"expiresAt"`
	Expired   bool   `json:"expired"`
}

// The @lucia-auth/tokens operations, one method per call. expiresIn is in
// seconds; a negative one issues a token that has already expired.

// idTokenIssue and passwordTokenIssue set Expired from the lifetime asked
// for: Lucia 1.8.0's createKey, which issue calls, reports every new
// single-use key as expired (it compares the lifetime in seconds, rather
// than the expiry, with the clock). Lucia's own reads of the key
// (getUserTokens, validate) get it right.
func (l *luciaV1) idTokenIssue(name, userID string, expiresIn int) luciaToken {
	l.t.Helper()
	var token luciaToken
	l.mustCall("idTokenIssue", map[string]any{"name": name, "userId": userID, "expiresIn": expiresIn}, &token)
	token.Expired = expiresIn < 0
	return token
}

func (l *luciaV1) idTokenValidate(name, token string) (luciaToken, error) {
	l.t.Helper()
	var validated luciaToken
	err := l.call("idTokenValidate", map[string]any{"name": name, "token": token}, &validated)
	return validated, err
}

func (l *luciaV1) idTokenUserTokens(name, userID string) []luciaToken {
	l.t.Helper()
	var listed []luciaToken
	l.mustCall("idTokenUserTokens", map[string]any{"name": name, "userId": userID}, &listed)
	return listed
}

func (l *luciaV1) passwordTokenIssue(name, userID string, expiresIn int) luciaToken {
	l.t.Helper()
	var token luciaToken
	l.mustCall("passwordTokenIssue", map[string]any{"name": name, "userId": userID, "expiresIn": expiresIn}, &token)
	token.Expired = expiresIn < 0
	return token
}

func (l *luciaV1) passwordTokenValidate(name, userID, code string) (luciaToken, error) {
	l.t.Helper()
	var validated luciaToken
	err := l.call("passwordTokenValidate", map[string]any{"name": name, "token": code, "userId": userID}, &validated)
	return validated, err
}

func (l *luciaV1) passwordTokenUserTokens(name, userID string) []luciaToken {
	l.t.Helper()
	var listed []luciaToken
	l.mustCall("passwordTokenUserTokens", map[string]any{"name": name, "userId": userID}, &listed)
	return listed
}

// goTokens is the Go app's tokens of both kinds, on the shared database,
// with its clock offset from the real one by skew (negative: issuing
// tokens that have already expired).
func (db sharedDatabase) goTokens(t *testing.T, skew time.Duration) (*tokens.IDTokens, *tokens.PasswordTokens) {
	t.Helper()
	store := luciapg.New(db.pool)
	now := func() time.Time { return time.Now().Add(skew) }
	core, err := auth.New(store, auth.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	links, err := tokens.NewIDTokens(core, resetTokens, tokens.IDTokenConfig{ExpiresIn: tokenLifetime})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := tokens.NewPasswordTokens(core, emailCodes, tokens.PasswordTokenConfig{
		ExpiresIn: tokenLifetime, AttemptThrottle: store, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return links, codes
}

// wantSameToken checks that Go and Lucia describe one token alike: value,
// user and expiry to the millisecond.
func wantSameToken(t *testing.T, what string, goToken tokens.Token, luciaToken luciaToken) {
	t.Helper()
	if goToken.Value != luciaToken.Value || goToken.UserID != luciaToken.UserID ||
		goToken.ExpiresAt.UnixMilli() != luciaToken.ExpiresAt || goToken.Expired != luciaToken.Expired {
		t.Fatalf("%s: Lucia sees user %s, expiry %d, expired %t; Go user %s, expiry %d, expired %t; same value: %t",
			what, luciaToken.UserID, luciaToken.ExpiresAt, luciaToken.Expired,
			goToken.UserID, goToken.ExpiresAt.UnixMilli(), goToken.Expired, goToken.Value == luciaToken.Value)
	}
}

// tokenKeyRow is what auth_key holds for a token: both sides must write the
// same shape of row.
type tokenKeyRow struct {
	userID      string
	primary     bool
	hasPassword bool
	expires     *int64
}

func (db sharedDatabase) tokenKeyRow(t *testing.T, keyID string) tokenKeyRow {
	t.Helper()
	var row tokenKeyRow
	if err := db.pool.QueryRow(context.Background(),
		`SELECT user_id, primary_key, hashed_password IS NOT NULL, expires FROM auth_key WHERE id = $1`, keyID,
	).Scan(&row.userID, &row.primary, &row.hasPassword, &row.expires); err != nil {
		t.Fatalf("reading the token's key row: %v", err)
	}
	return row
}

// wantTokenRow checks that a token's key is a non-primary single-use key
// without a password, of the user, expiring at expiresAt.
func (db sharedDatabase) wantTokenRow(t *testing.T, who, keyID, userID string, expiresAt int64) {
	t.Helper()
	row := db.tokenKeyRow(t, keyID)
	if row.userID != userID || row.primary || row.hasPassword || row.expires == nil || *row.expires != expiresAt {
		t.Fatalf("%s's token key: user %s, primary %t, password %t, expires %v; want user %s, a single-use key without a password expiring at %d",
			who, row.userID, row.primary, row.hasPassword, row.expires, userID, expiresAt)
	}
}

func TestLuciaV1TokensInterop(t *testing.T) {
	t.Parallel()

	t.Run("ID token issued by Lucia validates once in Go", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		links, _ := db.goTokens(t, 0)
		userID := db.lucia.createUser("username", "grace", nil)
		issued := db.lucia.idTokenIssue(resetTokens, userID, tokenLifetimeSeconds)
		if !idTokenFormat.MatchString(issued.Value) {
			t.Fatalf("Lucia issued a token of %d characters, want 43 alphanumerics", len(issued.Value))
		}
		db.wantTokenRow(t, "Lucia", resetTokens+":"+issued.Value, userID, issued.ExpiresAt)

		listed, err := links.UserTokens(t.Context(), userID)
		if err != nil || len(listed) != 1 {
			t.Fatalf("Go UserTokens: %d tokens, %v; want Lucia's one", len(listed), err)
		}
		wantSameToken(t, "Go UserTokens", listed[0], issued)

		validated, err := links.Validate(t.Context(), issued.Value)
		if err != nil {
			t.Fatalf("Go Validate of Lucia's token: %v", err)
		}
		wantSameToken(t, "Go Validate", validated, issued)
		if _, err := db.lucia.idTokenValidate(resetTokens, issued.Value); !isLuciaError(err, "INVALID_TOKEN") {
			t.Fatalf("Lucia validate after Go used the token: %v, want INVALID_TOKEN", err)
		}
		if _, err := links.Validate(t.Context(), issued.Value); !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("Go Validate a second time: %v, want ErrInvalidToken", err)
		}

		// Go's InvalidateAllUserTokens clears what Lucia issued.
		db.lucia.idTokenIssue(resetTokens, userID, tokenLifetimeSeconds)
		if err := links.InvalidateAllUserTokens(t.Context(), userID); err != nil {
			t.Fatal(err)
		}
		if left := db.lucia.idTokenUserTokens(resetTokens, userID); len(left) != 0 {
			t.Fatalf("Lucia getUserTokens after Go's InvalidateAllUserTokens: %d tokens, want none", len(left))
		}
	})

	t.Run("ID token issued by Go validates once in Lucia", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		links, _ := db.goTokens(t, 0)
		user := db.createGoUser(t, "ada", "")
		issued, err := links.Issue(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !idTokenFormat.MatchString(issued.Value) {
			t.Fatalf("Go issued a token of %d characters, want 43 alphanumerics", len(issued.Value))
		}
		db.wantTokenRow(t, "Go", resetTokens+":"+issued.Value, user.ID, issued.ExpiresAt.UnixMilli())

		listed := db.lucia.idTokenUserTokens(resetTokens, user.ID)
		if len(listed) != 1 {
			t.Fatalf("Lucia getUserTokens: %d tokens, want Go's one", len(listed))
		}
		wantSameToken(t, "Lucia getUserTokens", issued, listed[0])

		validated, err := db.lucia.idTokenValidate(resetTokens, issued.Value)
		if err != nil {
			t.Fatalf("Lucia validate of Go's token: %v", err)
		}
		wantSameToken(t, "Lucia validate", issued, validated)
		if _, err := links.Validate(t.Context(), issued.Value); !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("Go Validate after Lucia used the token: %v, want ErrInvalidToken", err)
		}
	})

	t.Run("expired ID tokens are refused by both", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		links, _ := db.goTokens(t, 0)
		pastLinks, _ := db.goTokens(t, -2*tokenLifetime)
		userID := db.lucia.createUser("username", "grace", nil)

		fromLucia := db.lucia.idTokenIssue(resetTokens, userID, -60)
		if _, err := links.Validate(t.Context(), fromLucia.Value); !errors.Is(err, tokens.ErrExpiredToken) {
			t.Fatalf("Go Validate of Lucia's expired token: %v, want ErrExpiredToken", err)
		}
		if _, err := db.lucia.idTokenValidate(resetTokens, fromLucia.Value); !isLuciaError(err, "INVALID_TOKEN") {
			t.Fatalf("Lucia validate of its expired token after Go refused it: %v, want INVALID_TOKEN (deleted)", err)
		}

		fromGo, err := pastLinks.Issue(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.lucia.idTokenValidate(resetTokens, fromGo.Value); !isLuciaError(err, "EXPIRED_TOKEN") {
			t.Fatalf("Lucia validate of Go's expired token: %v, want EXPIRED_TOKEN", err)
		}
		if _, err := links.Validate(t.Context(), fromGo.Value); !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("Go Validate of its expired token after Lucia refused it: %v, want ErrInvalidToken (deleted)", err)
		}
	})

	t.Run("code issued by Lucia validates once in Go", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		_, codes := db.goTokens(t, 0)
		userID := db.lucia.createUser("username", "grace", nil)
		otherID := db.lucia.createUser("username", "hopper", nil)
		issued := db.lucia.passwordTokenIssue(emailCodes, userID, tokenLifetimeSeconds)
		if !codeFormat.MatchString(issued.Value) {
			t.Fatalf("Lucia issued a code of %d characters, want 8 digits", len(issued.Value))
		}
		db.wantTokenRow(t, "Lucia", emailCodes+":"+userID+"."+issued.Value, userID, issued.ExpiresAt)

		listed, err := codes.UserTokens(t.Context(), userID)
		if err != nil || len(listed) != 1 {
			t.Fatalf("Go UserTokens: %d codes, %v; want Lucia's one", len(listed), err)
		}
		wantSameToken(t, "Go UserTokens", listed[0], issued)

		if _, err := codes.Validate(t.Context(), otherID, issued.Value); !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("Go Validate of the code with another user's id: %v, want ErrInvalidToken", err)
		}
		validated, err := codes.Validate(t.Context(), userID, issued.Value)
		if err != nil {
			t.Fatalf("Go Validate of Lucia's code: %v", err)
		}
		wantSameToken(t, "Go Validate", validated, issued)
		if _, err := db.lucia.passwordTokenValidate(emailCodes, userID, issued.Value); !isLuciaError(err, "INVALID_TOKEN") {
			t.Fatalf("Lucia validate after Go used the code: %v, want INVALID_TOKEN", err)
		}

		db.lucia.passwordTokenIssue(emailCodes, userID, tokenLifetimeSeconds)
		if err := codes.InvalidateAllUserTokens(t.Context(), userID); err != nil {
			t.Fatal(err)
		}
		if left := db.lucia.passwordTokenUserTokens(emailCodes, userID); len(left) != 0 {
			t.Fatalf("Lucia getUserTokens after Go's InvalidateAllUserTokens: %d codes, want none", len(left))
		}
	})

	t.Run("code issued by Go validates once in Lucia", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		_, codes := db.goTokens(t, 0)
		user := db.createGoUser(t, "ada", "")
		issued, err := codes.Issue(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !codeFormat.MatchString(issued.Value) {
			t.Fatalf("Go issued a code of %d characters, want 8 digits", len(issued.Value))
		}
		db.wantTokenRow(t, "Go", emailCodes+":"+user.ID+"."+issued.Value, user.ID, issued.ExpiresAt.UnixMilli())

		listed := db.lucia.passwordTokenUserTokens(emailCodes, user.ID)
		if len(listed) != 1 {
			t.Fatalf("Lucia getUserTokens: %d codes, want Go's one", len(listed))
		}
		wantSameToken(t, "Lucia getUserTokens", issued, listed[0])

		validated, err := db.lucia.passwordTokenValidate(emailCodes, user.ID, issued.Value)
		if err != nil {
			t.Fatalf("Lucia validate of Go's code: %v", err)
		}
		wantSameToken(t, "Lucia validate", issued, validated)
		if _, err := codes.Validate(t.Context(), user.ID, issued.Value); !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("Go Validate after Lucia used the code: %v, want ErrInvalidToken", err)
		}
	})

	t.Run("expired codes are refused by both", func(t *testing.T) {
		t.Parallel()
		db := newSharedDatabase(t)
		_, codes := db.goTokens(t, 0)
		_, pastCodes := db.goTokens(t, -2*tokenLifetime)
		userID := db.lucia.createUser("username", "grace", nil)

		fromLucia := db.lucia.passwordTokenIssue(emailCodes, userID, -60)
		if _, err := codes.Validate(t.Context(), userID, fromLucia.Value); !errors.Is(err, tokens.ErrExpiredToken) {
			t.Fatalf("Go Validate of Lucia's expired code: %v, want ErrExpiredToken", err)
		}
		if _, err := db.lucia.passwordTokenValidate(emailCodes, userID, fromLucia.Value); !isLuciaError(err, "INVALID_TOKEN") {
			t.Fatalf("Lucia validate of its expired code after Go refused it: %v, want INVALID_TOKEN (deleted)", err)
		}

		fromGo, err := pastCodes.Issue(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.lucia.passwordTokenValidate(emailCodes, userID, fromGo.Value); !isLuciaError(err, "EXPIRED_TOKEN") {
			t.Fatalf("Lucia validate of Go's expired code: %v, want EXPIRED_TOKEN", err)
		}
		if _, err := codes.Validate(t.Context(), userID, fromGo.Value); !errors.Is(err, tokens.ErrInvalidToken) {
			t.Fatalf("Go Validate of its expired code after Lucia refused it: %v, want ErrInvalidToken (deleted)", err)
		}
	})
}
