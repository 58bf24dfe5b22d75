package tokens_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
	"github.com/luciapg/luciapg/memadapter"
)

// A password-reset link and an emailed one-time code, stored as
// @lucia-auth/tokens stores them.
func Example() {
	ctx := context.Background()
	// In production: store := luciapg.New(pool).
	store := memadapter.New()
	core, err := auth.New(store, auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	user, err := core.CreateUser(ctx, auth.CreateUserParams{})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A reset link: the token identifies the user by itself.
	resets, err := tokens.NewIDTokens(core, "password-reset", tokens.IDTokenConfig{ExpiresIn: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := resets.Issue(ctx, user.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("link: https://example.com/reset?token=<" + fmt.Sprint(len(token.Value)) + " characters>")

	// When the link is opened (an HTTP handler would pass r.Context(),
	// which authhttp's middleware gives the client's address, so guesses
	// are throttled per address):
	reset, err := resets.Validate(ctx, token.Value)
	fmt.Println("reset the password of the user:", err == nil && reset.UserID == user.ID)
	_, err = resets.Validate(ctx, token.Value)
	fmt.Println("the link a second time:", err)

	// A one-time code, typed in with the user's id (say, from the login
	// form), and throttled per user: 8 digits cannot be guessed.
	codes, err := tokens.NewPasswordTokens(core, "email-code", tokens.PasswordTokenConfig{
		ExpiresIn:       10 * time.Minute,
		AttemptThrottle: store,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	code, err := codes.Issue(ctx, user.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("emailed a code of", len(code.Value), "digits")
	_, err = codes.Validate(ctx, user.ID, "not-the-code")
	fmt.Println("a wrong code:", err)
	_, err = codes.Validate(ctx, user.ID, code.Value)
	fmt.Println("the right code:", err)

	// Output:
	// link: https://example.com/reset?token=<43 characters>
	// reset the password of the user: true
	// the link a second time: INVALID_TOKEN
	// emailed a code of 8 digits
	// a wrong code: INVALID_TOKEN
	// the right code: <nil>
}
