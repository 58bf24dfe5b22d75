package auth_test

import (
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// legacyHash is Lucia v1's hash of "password123" from before "s2" (scrypt
// with r=8), as a Lucia v1 database may still hold it.
const legacyHash = "0123456789abcdef:f60e4a8d634e226cf9f4621f3508668c2ad6645e6469c6a255bb0b4010da82a1380dcaf6b7460bae7a46eb58ecd555908c5f76748b72ae56d18bb5a58d606ba1"

// TestLoginRehashesALegacyHash (security review, finding 8): a successful
// login replaces a legacy hash with an "s2" one of the same password, in
// the transaction that writes the session; a failed one leaves it. After
// it, the account costs a guesser what every other account costs.
func TestLoginRehashesALegacyHash(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, _ := newAuth(adapter)
		hash := legacyHash
		_, err := adapter.SetUser(ctx, luciapg.User{ID: "legacy1", Attributes: map[string]any{"username": "legacy1"}},
			&luciapg.Key{ID: "username:legacy1", UserID: "legacy1", PrimaryKey: true, HashedPassword: &hash})
		wantNoErr(t, "SetUser", err)

		_, err = a.Login(ctx, "username", "legacy1", "wrong")
		wantErr(t, "Login with a wrong password", err, auth.ErrInvalidPassword)
		if key, _ := adapter.GetKey(ctx, "username:legacy1"); *key.HashedPassword != legacyHash {
			t.Fatal("a failed login changed the hash")
		}

		session, err := a.Login(ctx, "username", "legacy1", "password123")
		wantNoErr(t, "Login", err)
		key, err := adapter.GetKey(ctx, "username:legacy1")
		wantNoErr(t, "GetKey", err)
		if !strings.HasPrefix(*key.HashedPassword, "s2:") {
			t.Fatal("the legacy hash was not replaced by an s2 hash")
		}
		if ok, err := auth.VerifyPassword(*key.HashedPassword, "password123"); !ok || err != nil {
			t.Fatalf("the new hash does not verify the password: %v, %v", ok, err)
		}
		if _, err := a.ValidateSession(ctx, session.ID); err != nil {
			t.Fatalf("the login's session: %v", err)
		}
		// Once rehashed, the next login leaves the hash as it is.
		_, err = a.Login(ctx, "username", "legacy1", "password123")
		wantNoErr(t, "Login again", err)
		if again, _ := adapter.GetKey(ctx, "username:legacy1"); *again.HashedPassword != *key.HashedPassword {
			t.Fatal("an s2 hash was rehashed")
		}
	})
}

// TestLoginIsUseKeyThenASession: Login refuses what UseKey refuses, with
// the same errors and no session, and opens a session otherwise, also
// with a single-use key (which it consumes).
func TestLoginIsUseKeyThenASession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, _ := newFastAuth(adapter)
		user, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}})
		wantNoErr(t, "CreateUser", err)
		_, err = a.Login(ctx, "username", "ada", "wrong")
		wantErr(t, "Login, wrong password", err, auth.ErrInvalidPassword)
		_, err = a.Login(ctx, "username", "nobody", "right")
		wantErr(t, "Login, unknown key", err, luciapg.ErrInvalidKeyID)
		sessions, err := a.GetAllUserSessions(ctx, user.ID)
		wantNoErr(t, "GetAllUserSessions", err)
		if len(sessions) != 0 {
			t.Fatalf("refused logins left %d sessions", len(sessions))
		}
		session, err := a.Login(ctx, "username", "ada", "right")
		wantNoErr(t, "Login", err)
		if session.UserID != user.ID || !session.Fresh {
			t.Fatalf("Login returned %+v", session)
		}

		_, err = a.CreateKey(ctx, user.ID, auth.CreateKeyParams{ProviderID: "otp", ProviderUserID: "123456", Password: "code", ExpiresIn: 3600e9})
		wantNoErr(t, "CreateKey", err)
		_, err = a.Login(ctx, "otp", "123456", "code")
		wantNoErr(t, "Login with a single-use key", err)
		_, err = a.Login(ctx, "otp", "123456", "code")
		wantErr(t, "Login with a used single-use key", err, luciapg.ErrInvalidKeyID)
	})
}
