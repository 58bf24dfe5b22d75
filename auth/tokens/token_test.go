package tokens_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/auth/tokens"
)

// A Token printed or logged by mistake does not give its value away.
func TestTokenHidesItsValue(t *testing.T) {
	t.Parallel()
	const secret = "s3cretTOKENvalue"
	token := tokens.Token{Value: secret, UserID: "user1", ExpiresAt: startTime}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("issued", "token", token)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("issued", "token", token)
	for _, out := range []string{
		fmt.Sprint(token), fmt.Sprintf("%v %+v %#v %s", token, token, token, token),
		fmt.Sprint(&token), logged.String(),
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the token's value appears in %q", out)
		}
		if !strings.Contains(out, "user1") {
			t.Errorf("the token's user is missing from %q", out)
		}
	}
}
