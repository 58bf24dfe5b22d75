package tokens_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// guesses is how many codes the attacker tries: enough to have a one in
// 100,000 chance at an 8-digit code if every guess were checked.
const guesses = 1000

// wrongCode is the i-th guess, never the issued code.
func wrongCode(i int, issued string) string {
	code := fmt.Sprintf("%08d", i)
	if code == issued {
		code = fmt.Sprintf("%08d", guesses+i)
	}
	return code
}

// An attacker who knows a user's id guesses codes. Each guess names a
// different key, so the auth core's per-key throttle never sees one key
// twice: only a count per user stops them. With a stopped clock, no more
// than the free attempts may reach the codes, whatever the addresses the
// guesses come from.
func TestPasswordTokensThrottleGuessesPerUser(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		codes := e.passwordTokens(t, "email-code")
		issued, err := codes.Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)

		checked, throttled := 0, 0
		for i := range guesses {
			// A new address per guess: a botnet, or IPv6 addresses
			// outside one /64.
			ctx := auth.WithClientAddress(t.Context(), fmt.Sprintf("198.51.%d.%d", i/250, i%250))
			_, err := codes.Validate(ctx, e.userID, wrongCode(i, issued.Value))
			switch {
			case errors.Is(err, tokens.ErrInvalidToken):
				checked++
			case errors.Is(err, auth.ErrTooManyAttempts):
				throttled++
			default:
				t.Fatalf("guess %d: %v, want ErrInvalidToken or ErrTooManyAttempts", i, err)
			}
		}
		t.Logf("%d guesses: %d checked, %d throttled", guesses, checked, throttled)
		if checked > 5 {
			t.Fatalf("%d of %d guesses at one user's code were checked; want at most the 5 free attempts", checked, guesses)
		}

		// The owner, with the right code, waits like everyone else...
		_, err = codes.Validate(t.Context(), e.userID, issued.Value)
		wantErr(t, "Validate of the right code while throttled", err, auth.ErrTooManyAttempts)
		// ...and once the block is over, gets in, which forgets the count.
		var tooMany *auth.TooManyAttemptsError
		if !errors.As(err, &tooMany) {
			t.Fatalf("throttled Validate: %T, want *auth.TooManyAttemptsError", err)
		}
		e.clock.Advance(tooMany.RetryAfter)
		token, err := codes.Validate(t.Context(), e.userID, issued.Value)
		wantNoErr(t, "Validate of the right code after the wait", err)
		if token.UserID != e.userID || token.Value != issued.Value {
			t.Fatalf("Validate = %v, want the issued code of user %s", token, e.userID)
		}
		for i := range 5 {
			_, err := codes.Validate(t.Context(), e.userID, wrongCode(i, issued.Value))
			wantErr(t, "a typo after a success", err, tokens.ErrInvalidToken)
		}
	})
}

// Another user's count is their own: an attacker guessing at one user's
// codes does not lock out everyone else.
func TestPasswordTokensThrottleIsPerUser(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		codes := e.passwordTokens(t, "email-code")
		for i := range 20 {
			_, _ = codes.Validate(t.Context(), e.userID, wrongCode(i, ""))
		}
		other := e.newUser(t)
		issued, err := codes.Issue(t.Context(), other)
		wantNoErr(t, "Issue to another user", err)
		_, err = codes.Validate(t.Context(), other, issued.Value)
		wantNoErr(t, "Validate of another user's code", err)
	})
}

// Guesses at ID tokens from one address are throttled by the auth core's
// per-address count, which Validate passes the context to.
func TestIDTokensThrottleGuessesPerAddress(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		links := e.idTokens(t, "password-reset")
		ctx := auth.WithClientAddress(t.Context(), "203.0.113.9")
		checked := 0
		for i := range 200 {
			_, err := links.Validate(ctx, fmt.Sprintf("guess%038d", i))
			switch {
			case errors.Is(err, tokens.ErrInvalidToken):
				checked++
			case errors.Is(err, auth.ErrTooManyAttempts):
			default:
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		if checked > 50 {
			t.Fatalf("%d of 200 guesses from one address were checked; want at most the auth core's 50 free attempts", checked)
		}
	})
}

// The attacker sends their guesses all at once, spread over two instances
// of the application (two PasswordTokens on one storage): the count is
// atomic and shared, so still no more than the free attempts get through.
func TestPasswordTokensThrottleConcurrentGuesses(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		instances := []*tokens.PasswordTokens{e.passwordTokens(t, "email-code"), e.passwordTokens(t, "email-code")}
		issued, err := instances[0].Issue(t.Context(), e.userID)
		wantNoErr(t, "Issue", err)

		const concurrent = 200
		errs := make(chan error, concurrent)
		start := make(chan struct{})
		for i := range concurrent {
			go func() {
				<-start
				_, err := instances[i%2].Validate(t.Context(), e.userID, wrongCode(i, issued.Value))
				errs <- err
			}()
		}
		close(start)
		checked := 0
		for range concurrent {
			err := <-errs
			switch {
			case errors.Is(err, tokens.ErrInvalidToken):
				checked++
			case errors.Is(err, auth.ErrTooManyAttempts):
			default:
				t.Errorf("concurrent guess: %v", err)
			}
		}
		if checked > 5 {
			t.Fatalf("%d of %d concurrent guesses were checked; want at most the 5 free attempts", checked, concurrent)
		}
	})
}
