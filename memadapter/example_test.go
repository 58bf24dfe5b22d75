package memadapter_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// An application's unit tests declare the attribute columns its migration
// adds to auth_user.
func ExampleNew() {
	ctx := context.Background()
	adapter := memadapter.New(
		memadapter.Column{Name: "username", Unique: true},
		memadapter.Column{Name: "plan", NotNull: true, Default: "free"},
		memadapter.Column{Name: "nickname"},
	)
	a, err := auth.New(adapter, auth.Config{})
	if err != nil {
		log.Fatal(err)
	}

	user, _ := a.CreateUser(ctx, auth.CreateUserParams{Attributes: map[string]any{"username": "ada"}})
	fmt.Println(user.Attributes["plan"], user.Attributes["nickname"])
	_, err = a.CreateUser(ctx, auth.CreateUserParams{Attributes: map[string]any{"username": "ada"}})
	fmt.Println(errors.Is(err, luciapg.ErrDuplicateAttribute))
	// Output:
	// free <nil>
	// true
}
