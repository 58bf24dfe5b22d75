package tokens_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
	"github.com/luciapg/luciapg/memadapter"
)

// idTokenFormat is @lucia-auth/tokens' default: 43 alphanumerics.
var idTokenFormat = regexp.MustCompile(`^[a-zA-Z0-9]{43}$`)

func TestIDTokensIssueAndValidate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		links := e.idTokens(t, "email-verification")
		issued, err := links.Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)
		if !idTokenFormat.MatchString(issued.Value) {
			t.Errorf("issued token is %d characters, not 43 alphanumerics", len(issued.Value))
		}
		if want := startTime.Add(tokenLifetime); !issued.ExpiresAt.Equal(want) || issued.Expired || issued.UserID != e.userID {
			t.Errorf("Issue = %v, want user %s, expiring at %v, not expired", issued, e.userID, want)
		}
		// Stored as idToken stores it: a single-use key "name:TOKEN" with
		// no password.
		key, err := e.storage.GetKey(t.Context(), "email-verification:"+issued.Value)
		wantNoErr(t, "GetKey of the token's key", err)
		if key.UserID != e.userID || key.PrimaryKey || key.HashedPassword != nil || key.Expires == nil || *key.Expires != startTime.Add(tokenLifetime).UnixMilli() {
			t.Errorf("the token's key: user %s, primary %t, password %t, expires %v", key.UserID, key.PrimaryKey, key.HashedPassword != nil, key.Expires)
		}

		validated, err := links.Validate(t.Context(), issued.Value)
		wantNoErr(t, "Validate", err)
		if validated != issued {
			t.Errorf("Validate = %v, want %v", validated, issued)
		}
		_, err = links.Validate(t.Context(), issued.Value)
		wantErr(t, "Validate a second time", err, tokens.ErrInvalidToken)
	})
}

func TestIDTokensExpired(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		links := e.idTokens(t, "password-reset")
		issued, err := links.Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)
		e.clock.Advance(tokenLifetime + time.Millisecond)
		listed, err := links.UserTokens(t.Context(), e.userID)
		wantNoErr(t, "UserTokens", err)
		if len(listed) != 1 || !listed[0].Expired {
			t.Fatalf("UserTokens after the expiry: %v, want the one token, expired", listed)
		}
		_, err = links.Validate(t.Context(), issued.Value)
		wantErr(t, "Validate after the expiry", err, tokens.ErrExpiredToken)
		// Refused and deleted, as a used token is.
		_, err = links.Validate(t.Context(), issued.Value)
		wantErr(t, "Validate after the expired refusal", err, tokens.ErrInvalidToken)
	})
}

// Of concurrent uses of one token, exactly one gets it. (Beyond the auth
// core's 5 free attempts per key, more would be throttled.)
func TestIDTokensValidateOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		links := e.idTokens(t, "password-reset")
		issued, err := links.Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)
		const n = 5
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				_, err := links.Validate(t.Context(), issued.Value)
				errs <- err
			}()
		}
		close(start)
		successes := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				successes++
			case !errors.Is(err, tokens.ErrInvalidToken):
				t.Errorf("concurrent Validate: %v", err)
			}
		}
		if successes != 1 {
			t.Fatalf("%d of %d concurrent Validate calls succeeded, want 1", successes, n)
		}
	})
}

func TestIDTokensRefuse(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		links := e.idTokens(t, "password-reset")
		other := e.idTokens(t, "email-verification")
		issued, err := other.Issue(ctx, e.userID)
		wantNoErr(t, "Issue", err)

		for _, c := range []struct{ what, token string }{
			{"an unknown token", strings.Repeat("x", 43)},
			{"another name's token", issued.Value},
			{"an empty token", ""},
			{"a token longer than any key id", strings.Repeat("x", luciapg.MaxIDBytes)},
			{"a token with a NUL byte", "abc\x00def"},
			{"a token of invalid UTF-8", "abc\xffdef"},
		} {
			_, err := links.Validate(ctx, c.token)
			wantErr(t, "Validate of "+c.what, err, tokens.ErrInvalidToken)
		}
		// The other name's token was not touched.
		_, err = other.Validate(ctx, issued.Value)
		wantNoErr(t, "Validate with its own name", err)

		_, err = links.Issue(ctx, "no-such-user")
		wantErr(t, "Issue to an unknown user", err, tokens.ErrInvalidUserID)
		_, err = links.Issue(ctx, "")
		wantErr(t, "Issue to an empty user id", err, tokens.ErrInvalidUserID)
		_, err = links.UserTokens(ctx, "no-such-user")
		wantErr(t, "UserTokens of an unknown user", err, tokens.ErrInvalidUserID)
		wantNoErr(t, "InvalidateAllUserTokens of an unknown user", links.InvalidateAllUserTokens(ctx, "no-such-user"))
		wantNoErr(t, "Invalidate of an unknown token", links.Invalidate(ctx, "nothing"))
		wantNoErr(t, "Invalidate of an empty token", links.Invalidate(ctx, ""))
	})
}

// A key of the same provider that is not a token (persistent, or with a
// password) is refused and left in place, as idToken leaves it.
func TestIDTokensRefuseOtherKeys(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		links := e.idTokens(t, "magic")
		_, err := e.core.CreateKey(ctx, e.userID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: "persistent"})
		wantNoErr(t, "CreateKey persistent", err)
		// Any hash will do (none is checked): scrypt's cost buys nothing here.
		hash, expires := "s2:0123456789abcdef:00", startTime.Add(time.Hour).UnixMilli()
		err = e.storage.SetKey(ctx, luciapg.Key{ID: "magic:with-password", UserID: e.userID, HashedPassword: &hash, Expires: &expires})
		wantNoErr(t, "SetKey with a password", err)
		for _, token := range []string{"persistent", "with-password"} {
			_, err := links.Validate(ctx, token)
			wantErr(t, "Validate of the "+token+" key", err, tokens.ErrInvalidToken)
			if _, err := e.core.GetKey(ctx, "magic", token); err != nil {
				t.Errorf("the %s key after Validate: %v, want it still there", token, err)
			}
		}
		listed, err := links.UserTokens(ctx, e.userID)
		wantNoErr(t, "UserTokens", err)
		if len(listed) != 1 || listed[0].Value != "with-password" {
			t.Errorf("UserTokens = %v, want only the single-use key", listed)
		}
	})
}

func TestIDTokensUserTokensAndInvalidate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		links := e.idTokens(t, "password-reset")
		codes := e.passwordTokens(t, "email-code")
		first, err := links.Issue(ctx, e.userID)
		wantNoErr(t, "Issue", err)
		second, err := links.Issue(ctx, e.userID)
		wantNoErr(t, "Issue", err)
		code, err := codes.Issue(ctx, e.userID)
		wantNoErr(t, "Issue a code", err)
		otherUser := e.newUser(t)
		othersToken, err := links.Issue(ctx, otherUser)
		wantNoErr(t, "Issue to another user", err)

		wantValues(t, "UserTokens", links, e.userID, first.Value, second.Value)
		wantNoErr(t, "Invalidate", links.Invalidate(ctx, first.Value))
		wantValues(t, "UserTokens after Invalidate", links, e.userID, second.Value)
		_, err = links.Validate(ctx, first.Value)
		wantErr(t, "Validate of an invalidated token", err, tokens.ErrInvalidToken)

		wantNoErr(t, "InvalidateAllUserTokens", links.InvalidateAllUserTokens(ctx, e.userID))
		wantValues(t, "UserTokens after InvalidateAllUserTokens", links, e.userID)
		// Only this name's tokens of this user went.
		_, err = codes.Validate(ctx, e.userID, code.Value)
		wantNoErr(t, "Validate of the user's code of another name", err)
		_, err = links.Validate(ctx, othersToken.Value)
		wantNoErr(t, "Validate of another user's token", err)
	})
}

// userTokenLister is IDTokens or PasswordTokens.
type userTokenLister interface {
	UserTokens(ctx context.Context, userID string) ([]tokens.Token, error)
}

// wantValues checks the values of the user's tokens, in any order.
func wantValues(t *testing.T, op string, l userTokenLister, userID string, want ...string) {
	t.Helper()
	listed, err := l.UserTokens(t.Context(), userID)
	wantNoErr(t, op, err)
	got := map[string]bool{}
	for _, token := range listed {
		if token.UserID != userID {
			t.Errorf("%s: a token of user %s, want %s", op, token.UserID, userID)
		}
		got[token.Value] = true
	}
	if len(listed) != len(want) || len(got) != len(want) {
		t.Fatalf("%s: %d tokens, want %d", op, len(listed), len(want))
	}
	for _, v := range want {
		if !got[v] {
			t.Fatalf("%s: an issued token is missing", op)
		}
	}
}

func TestNewIDTokensRefusesBadConfig(t *testing.T) {
	t.Parallel()
	core, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		name string
		cfg  tokens.IDTokenConfig
	}{
		{"an empty name", "", tokens.IDTokenConfig{ExpiresIn: time.Hour}},
		{"a name with ':'", "a:b", tokens.IDTokenConfig{ExpiresIn: time.Hour}},
		{"no expiry", "reset", tokens.IDTokenConfig{}},
		{"a negative expiry", "reset", tokens.IDTokenConfig{ExpiresIn: -time.Hour}},
		{"a length too long to store", "reset", tokens.IDTokenConfig{ExpiresIn: time.Hour, Length: luciapg.MaxIDBytes}},
		{"a negative length", "reset", tokens.IDTokenConfig{ExpiresIn: time.Hour, Length: -1}},
	} {
		if _, err := tokens.NewIDTokens(core, c.name, c.cfg); !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("NewIDTokens with %s: %v, want ErrInvalidConfig", c.what, err)
		}
	}
}
