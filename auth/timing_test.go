package auth_test

import (
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// Every refusal of UseKey costs what a wrong password costs — one
// verification — so how long a refusal takes does not tell an attacker
// whether the account exists or has a password. Counted with a hasher,
// not timed: a stopwatch on a shared machine proves nothing.
func TestUseKeyRefusalsSpendOneVerification(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		hasher := &countingHasher{}
		a, err := auth.New(adapter, auth.Config{PasswordHasher: hasher})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}})
		wantNoErr(t, "CreateUser", err)
		_, err = a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "oauth-only"}})
		wantNoErr(t, "CreateUser", err)
		hashesBefore := hasher.hashes.Load()

		tests := []struct {
			name, user, password string
			want                 error
		}{
			{"wrong password (the reference)", "ada", "wrong", auth.ErrInvalidPassword},
			{"missing key", "nobody", "guess", luciapg.ErrInvalidKeyID},
			{"missing key, empty password", "nobody", "", luciapg.ErrInvalidKeyID},
			{"passwordless key", "oauth-only", "guess", auth.ErrInvalidPassword},
			{"passwordless key, empty password", "oauth-only", "", auth.ErrInvalidPassword},
			{"password key, empty password", "ada", "", auth.ErrInvalidPassword},
			{"right password", "ada", "right", nil},
		}
		for _, tt := range tests {
			before := hasher.verifies.Load()
			_, err := a.UseKey(t.Context(), "username", tt.user, tt.password)
			wantErr(t, "UseKey, "+tt.name, err, tt.want)
			if n := hasher.verifies.Load() - before; n != 1 {
				t.Errorf("UseKey, %s: %d verifications, want 1", tt.name, n)
			}
		}
		// The dummy hash the refusals verify against was made once, with
		// the hasher itself (its real parameters).
		if n := hasher.hashes.Load() - hashesBefore; n != 1 {
			t.Fatalf("the refusals made %d hashes, want 1 (the dummy, made once)", n)
		}
	})
}
