package tokens_test

import (
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

// codeFormat is @lucia-auth/tokens' default code: 8 digits.
var codeFormat = regexp.MustCompile(`^[0-9]{8}$`)

func TestPasswordTokensIssueAndValidate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		codes := e.passwordTokens(t, "email-code")
		issued, err := codes.Issue(ctx, e.userID)
		wantNoErr(t, "Issue", err)
		if !codeFormat.MatchString(issued.Value) {
			t.Errorf("issued code is %d characters, not 8 digits", len(issued.Value))
		}
		if want := startTime.Add(tokenLifetime); !issued.ExpiresAt.Equal(want) || issued.Expired || issued.UserID != e.userID {
			t.Errorf("Issue = %v, want user %s, expiring at %v, not expired", issued, e.userID, want)
		}
		// Stored as passwordToken stores it: "name:USERID.CODE".
		key, err := e.storage.GetKey(ctx, "email-code:"+e.userID+"."+issued.Value)
		wantNoErr(t, "GetKey of the code's key", err)
		if key.UserID != e.userID || key.PrimaryKey || key.HashedPassword != nil || key.Expires == nil {
			t.Errorf("the code's key: user %s, primary %t, password %t, expires %v", key.UserID, key.PrimaryKey, key.HashedPassword != nil, key.Expires)
		}

		// Another user cannot use it, even knowing it.
		other := e.newUser(t)
		_, err = codes.Validate(ctx, other, issued.Value)
		wantErr(t, "Validate with another user's id", err, tokens.ErrInvalidToken)

		validated, err := codes.Validate(ctx, e.userID, issued.Value)
		wantNoErr(t, "Validate", err)
		if validated != issued {
			t.Errorf("Validate = %v, want %v", validated, issued)
		}
		_, err = codes.Validate(ctx, e.userID, issued.Value)
		wantErr(t, "Validate a second time", err, tokens.ErrInvalidToken)
	})
}

func TestPasswordTokensExpired(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		codes := e.passwordTokens(t, "email-code")
		issued, err := codes.Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)
		e.clock.Advance(tokenLifetime + time.Millisecond)
		_, err = codes.Validate(t.Context(), e.userID, issued.Value)
		wantErr(t, "Validate after the expiry", err, tokens.ErrExpiredToken)
		_, err = codes.Validate(t.Context(), e.userID, issued.Value)
		wantErr(t, "Validate after the expired refusal", err, tokens.ErrInvalidToken)
	})
}

func TestPasswordTokensUserTokensAndInvalidate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		codes := e.passwordTokens(t, "email-code")
		// A user id with a dot: passwordToken's getUserTokens would
		// misread its codes; the codes must still come back whole.
		dotted, err := e.core.CreateUser(ctx, auth.CreateUserParams{UserID: "user.with.dots"})
		wantNoErr(t, "CreateUser", err)
		var values []string
		for range 2 {
			issued, err := codes.Issue(ctx, dotted.ID)
			wantNoErr(t, "Issue", err)
			values = append(values, issued.Value)
		}
		otherCode, err := codes.Issue(ctx, e.userID)
		wantNoErr(t, "Issue to another user", err)

		wantValues(t, "UserTokens", codes, dotted.ID, values...)
		_, err = codes.Validate(ctx, dotted.ID, values[0])
		wantNoErr(t, "Validate", err)
		wantValues(t, "UserTokens after a use", codes, dotted.ID, values[1])
		wantNoErr(t, "InvalidateAllUserTokens", codes.InvalidateAllUserTokens(ctx, dotted.ID))
		wantValues(t, "UserTokens after InvalidateAllUserTokens", codes, dotted.ID)
		_, err = codes.Validate(ctx, e.userID, otherCode.Value)
		wantNoErr(t, "Validate of another user's code", err)

		_, err = codes.UserTokens(ctx, "no-such-user")
		wantErr(t, "UserTokens of an unknown user", err, tokens.ErrInvalidUserID)
		wantNoErr(t, "InvalidateAllUserTokens of an unknown user", codes.InvalidateAllUserTokens(ctx, "no-such-user"))
	})
}

func TestPasswordTokensRefuse(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		codes := e.passwordTokens(t, "email-code")
		_, err := codes.Issue(ctx, "no-such-user")
		wantErr(t, "Issue to an unknown user", err, tokens.ErrInvalidUserID)
		for _, c := range []struct{ what, userID, code string }{
			{"an empty code", e.userID, ""},
			{"an empty user id", "", "12345678"},
			{"a code too long to store", e.userID, strings.Repeat("1", luciapg.MaxIDBytes)},
			{"a code with a NUL byte", e.userID, "1234\x005678"},
		} {
			_, err := codes.Validate(ctx, c.userID, c.code)
			wantErr(t, "Validate of "+c.what, err, tokens.ErrInvalidToken)
		}
	})
}

// Issue reports a code the user already holds as DUPLICATE_TOKEN, as
// passwordToken does, and writes nothing.
func TestPasswordTokensDuplicate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		codes, err := tokens.NewPasswordTokens(e.core, "email-code", tokens.PasswordTokenConfig{
			ExpiresIn:       tokenLifetime,
			AttemptThrottle: e.storage,
			Generate:        func(int) (string, error) { return "00000000", nil },
		})
		wantNoErr(t, "NewPasswordTokens", err)
		_, err = codes.Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)
		_, err = codes.Issue(t.Context(), e.userID)
		wantErr(t, "Issue of the same code", err, tokens.ErrDuplicateToken)
		wantValues(t, "UserTokens", codes, e.userID, "00000000")
	})
}

func TestNewPasswordTokensRefusesBadConfig(t *testing.T) {
	t.Parallel()
	store := memadapter.New()
	core, err := auth.New(store, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	good := tokens.PasswordTokenConfig{ExpiresIn: time.Hour, AttemptThrottle: store}
	for _, c := range []struct {
		what string
		name string
		edit func(*tokens.PasswordTokenConfig)
	}{
		{"an empty name", "", func(*tokens.PasswordTokenConfig) {}},
		{"a name with ':'", "a:b", func(*tokens.PasswordTokenConfig) {}},
		{"no expiry", "code", func(c *tokens.PasswordTokenConfig) { c.ExpiresIn = 0 }},
		{"no attempt throttle", "code", func(c *tokens.PasswordTokenConfig) { c.AttemptThrottle = nil }},
		{"a throttle window shorter than its delay", "code", func(c *tokens.PasswordTokenConfig) {
			c.UserThrottle = luciapg.ThrottlePolicy{MaxDelay: time.Hour, Window: time.Minute}
		}},
		{"a negative length", "code", func(c *tokens.PasswordTokenConfig) { c.Length = -6 }},
		{"a negative throttle delay", "code", func(c *tokens.PasswordTokenConfig) {
			c.UserThrottle = luciapg.ThrottlePolicy{BaseDelay: -time.Second}
		}},
	} {
		cfg := good
		c.edit(&cfg)
		if _, err := tokens.NewPasswordTokens(core, c.name, cfg); !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("NewPasswordTokens with %s: %v, want ErrInvalidConfig", c.what, err)
		}
	}
	if _, err := tokens.NewPasswordTokens(core, "code", good); err != nil {
		t.Errorf("NewPasswordTokens with a good config: %v", err)
	}
}
