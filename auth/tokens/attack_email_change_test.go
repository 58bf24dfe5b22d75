package tokens_test

import (
	"errors"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// A confirmation link replayed (from a mailbox, a proxy's log) after the
// change was made changes nothing: the token is single-use. So is the
// token of a change that a newer Begin replaced.
func TestAttackEmailChangeTokenUsedTwice(t *testing.T) {
	t.Parallel()
	eachEmailBackend(t, func(t *testing.T, e *emailEnv) {
		ctx := t.Context()
		replaced, err := e.changes.Begin(ctx, e.session, "old-request@example.com")
		wantNoErr(t, "Begin", err)
		token, err := e.changes.Begin(ctx, e.session, "ada@new.example.com")
		wantNoErr(t, "Begin (again, replacing the first)", err)
		_, err = e.changes.Confirm(ctx, replaced.Value)
		wantErr(t, "Confirm with the replaced change's token", err, tokens.ErrInvalidToken)
		if got := e.email(t); got != adaEmail {
			t.Fatalf("after the replaced token: email %v, want %s", got, adaEmail)
		}
		user, err := e.changes.Confirm(ctx, token.Value)
		wantNoErr(t, "Confirm", err)
		if user.Attributes["email"] != "ada@new.example.com" {
			t.Fatalf("Confirm returned email %v", user.Attributes["email"])
		}
		// Ada changes her address back; the old link must not undo that.
		_, err = e.core.UpdateUserAttributes(ctx, e.user.ID, map[string]any{"email": adaEmail})
		wantNoErr(t, "UpdateUserAttributes", err)
		_, err = e.changes.Confirm(ctx, token.Value)
		wantErr(t, "Confirm with a used token", err, tokens.ErrInvalidToken)
		if got := e.email(t); got != adaEmail {
			t.Fatalf("the replayed token changed the email to %v", got)
		}
	})
}

// A link followed after the change expired changes nothing.
func TestAttackEmailChangeTokenExpired(t *testing.T) {
	t.Parallel()
	eachEmailBackend(t, func(t *testing.T, e *emailEnv) {
		ctx := t.Context()
		token, err := e.changes.Begin(ctx, e.session, "ada@new.example.com")
		wantNoErr(t, "Begin", err)
		e.clock.Advance(tokens.DefaultEmailChangeExpiresIn + time.Second)
		_, err = e.changes.Confirm(ctx, token.Value)
		wantErr(t, "Confirm after expiry", err, tokens.ErrExpiredToken)
		if got := e.email(t); got != adaEmail {
			t.Fatalf("an expired token changed the email to %v", got)
		}
		_, err = e.changes.Confirm(ctx, token.Value)
		wantErr(t, "Confirm again after expiry", err, tokens.ErrInvalidToken)
	})
}

// Someone with a session but not the user's recent proof (a stolen
// cookie, a session a Lucia v1 app made, a login from an hour ago) cannot
// move the account to an address they control: Begin needs sudo mode, and
// refuses before storing or issuing anything.
func TestAttackEmailChangeWithoutSudo(t *testing.T) {
	t.Parallel()
	eachEmailBackend(t, func(t *testing.T, e *emailEnv) {
		ctx := t.Context()
		bare, err := e.core.CreateSession(ctx, e.user.ID) // no factor record: never in sudo mode
		wantNoErr(t, "CreateSession", err)
		_, err = e.changes.Begin(ctx, bare, "mallory@example.com")
		wantErr(t, "Begin from a session without a factor record", err, auth.ErrSudoRequired)

		e.clock.Advance(auth.DefaultSudoPeriod + time.Second)
		_, err = e.changes.Begin(ctx, e.session, "mallory@example.com")
		wantErr(t, "Begin from a login older than the sudo period", err, auth.ErrSudoRequired)

		if _, err := e.changes.Pending(ctx, e.user.ID); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
			t.Fatalf("Pending after refused Begins: %v, want luciapg.ErrEmailChangeNotFound", err)
		}
		keys, err := e.core.GetAllUserKeys(ctx, e.user.ID)
		wantNoErr(t, "GetAllUserKeys", err)
		for _, key := range keys {
			if key.SingleUse() {
				t.Fatalf("a refused Begin left a token (a single-use %s key)", key.ProviderID)
			}
		}
	})
}
