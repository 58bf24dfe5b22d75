package auth_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

func TestCreateUserWithPasswordKeyAndUseKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user, err := a.CreateUser(t.Context(), auth.CreateUserParams{
			Key:        &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: "ada@example.com", Password: "s3cret pass"},
			Attributes: map[string]any{"username": "ada"},
		})
		wantNoErr(t, "CreateUser", err)
		if user.Attributes["username"] != "ada" || user.Attributes["plan"] != "free" {
			t.Fatalf("CreateUser = %+v, want username ada and the default plan", user)
		}
		stored, err := adapter.GetKey(t.Context(), "email:ada@example.com")
		wantNoErr(t, "GetKey", err)
		if stored.UserID != user.ID || !stored.PrimaryKey || stored.Expires != nil ||
			stored.HashedPassword == nil || !strings.HasPrefix(*stored.HashedPassword, "s2:") {
			t.Fatalf("stored key = %+v, want a primary, persistent key of %s with an s2 hash", stored, user.ID)
		}

		key, err := a.UseKey(t.Context(), "email", "ada@example.com", "s3cret pass")
		wantNoErr(t, "UseKey with the right password", err)
		want := auth.Key{ProviderID: "email", ProviderUserID: "ada@example.com", UserID: user.ID, Primary: true, PasswordDefined: true}
		if key != want {
			t.Fatalf("UseKey = %+v, want %+v", key, want)
		}
		_, err = a.UseKey(t.Context(), "email", "ada@example.com", "s3cret pasS")
		wantErr(t, "UseKey with a wrong password", err, auth.ErrInvalidPassword)
		_, err = a.UseKey(t.Context(), "email", "ada@example.com", "")
		wantErr(t, "UseKey without a password", err, auth.ErrInvalidPassword)
		_, err = a.UseKey(t.Context(), "email", "bob@example.com", "s3cret pass")
		wantErr(t, "UseKey of an unknown key", err, luciapg.ErrInvalidKeyID)
		// A persistent key survives being used.
		_, err = adapter.GetKey(t.Context(), "email:ada@example.com")
		wantNoErr(t, "GetKey after UseKey", err)
	})
}

func TestCreateUserIDsAndAtomicity(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		first, err := a.CreateUser(t.Context(), auth.CreateUserParams{
			UserID: "chosen-id",
			Key:    &auth.PrimaryKeyParams{ProviderID: "github", ProviderUserID: "1234"},
		})
		wantNoErr(t, "CreateUser", err)
		if first.ID != "chosen-id" {
			t.Fatalf("CreateUser with UserID = %q, want chosen-id", first.ID)
		}
		_, err = a.CreateUser(t.Context(), auth.CreateUserParams{UserID: "chosen-id"})
		wantErr(t, "CreateUser with a taken id", err, luciapg.ErrDuplicateUserID)

		_, err = a.CreateUser(t.Context(), auth.CreateUserParams{
			UserID: "second-id",
			Key:    &auth.PrimaryKeyParams{ProviderID: "github", ProviderUserID: "1234"},
		})
		wantErr(t, "CreateUser with a taken key", err, luciapg.ErrDuplicateKeyID)
		_, err = a.GetUser(t.Context(), "second-id")
		wantErr(t, "GetUser of the refused user", err, luciapg.ErrInvalidUserID)

		key, err := a.UsePasswordlessKey(t.Context(), "github", "1234")
		wantNoErr(t, "UsePasswordlessKey", err)
		if key.UserID != first.ID || key.PasswordDefined {
			t.Fatalf("UsePasswordlessKey = %+v, want the passwordless key of %s", key, first.ID)
		}
		// Lucia v1 accepted any password, the empty one included, for a key
		// without one; a password login never opens it here.
		for _, password := range []string{"anything", ""} {
			_, err = a.UseKey(t.Context(), "github", "1234", password)
			wantErr(t, "UseKey of a passwordless key with "+strconv.Quote(password), err, auth.ErrInvalidPassword)
		}
	})
}

// Two sign-ups racing for one key id: exactly one user exists afterwards.
func TestCreateUserSameKeyConcurrently(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		const callers = 8
		ids := make([]string, callers)
		errs := runConcurrently(callers, func(i int) error {
			user, err := a.CreateUser(t.Context(), auth.CreateUserParams{
				Key: &auth.PrimaryKeyParams{ProviderID: "github", ProviderUserID: "42"},
			})
			ids[i] = user.ID
			return err
		})
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				key, err := a.GetKey(t.Context(), "github", "42")
				wantNoErr(t, "GetKey", err)
				if key.UserID != ids[i] {
					t.Fatalf("the key belongs to %s, want the winner %s", key.UserID, ids[i])
				}
			case !errors.Is(err, luciapg.ErrDuplicateKeyID):
				t.Fatalf("CreateUser %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d of %d concurrent CreateUser calls succeeded, want 1", winners, callers)
		}
	})
}

func TestProviderIDsAndColons(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user := createUser(t, a)
		_, err := a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "e:mail", ProviderUserID: "x"}})
		wantErr(t, "CreateUser with ':' in the provider id", err, luciapg.ErrInvalidInput)
		for _, bad := range [][2]string{{"e:mail", "x"}, {"", "x"}, {"email", ""}} {
			_, err = a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: bad[0], ProviderUserID: bad[1]})
			wantErr(t, "CreateKey "+bad[0]+"|"+bad[1], err, luciapg.ErrInvalidInput)
			_, err = a.UseKey(t.Context(), bad[0], bad[1], "password")
			wantErr(t, "UseKey "+bad[0]+"|"+bad[1], err, luciapg.ErrInvalidInput)
			_, err = a.UsePasswordlessKey(t.Context(), bad[0], bad[1])
			wantErr(t, "UsePasswordlessKey "+bad[0]+"|"+bad[1], err, luciapg.ErrInvalidInput)
			_, err = a.GetKey(t.Context(), bad[0], bad[1])
			wantErr(t, "GetKey "+bad[0]+"|"+bad[1], err, luciapg.ErrInvalidInput)
			_, err = a.UpdateKeyPassword(t.Context(), bad[0], bad[1], "")
			wantErr(t, "UpdateKeyPassword "+bad[0]+"|"+bad[1], err, luciapg.ErrInvalidInput)
			wantErr(t, "DeleteKey "+bad[0]+"|"+bad[1], a.DeleteKey(t.Context(), bad[0], bad[1]), luciapg.ErrInvalidInput)
		}
		stored, err := adapter.GetKeysByUserID(t.Context(), user.ID)
		wantNoErr(t, "GetKeysByUserID", err)
		if len(stored) != 0 {
			t.Fatalf("refused keys were stored: %+v", stored)
		}

		// A provider user id may contain colons; it comes back whole.
		created, err := a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "oidc", ProviderUserID: "https://issuer:8443:sub"})
		wantNoErr(t, "CreateKey", err)
		key, err := a.GetKey(t.Context(), "oidc", "https://issuer:8443:sub")
		wantNoErr(t, "GetKey", err)
		if key != created || key.ProviderID != "oidc" || key.ProviderUserID != "https://issuer:8443:sub" {
			t.Fatalf("GetKey = %+v, want %+v", key, created)
		}
		_, err = adapter.GetKey(t.Context(), "oidc:https://issuer:8443:sub")
		wantNoErr(t, "GetKey of the stored key id", err)
	})
}

func TestSingleUseKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newAuth(adapter)
		user := createUser(t, a)
		created, err := a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: "token1", ExpiresIn: time.Hour})
		wantNoErr(t, "CreateKey", err)
		if !created.SingleUse() || !created.Expires.Equal(startTime.Add(time.Hour)) || created.Expired || created.Primary {
			t.Fatalf("CreateKey = %+v, want a single-use key expiring in an hour", created)
		}
		got, err := a.GetKey(t.Context(), "magic", "token1")
		wantNoErr(t, "GetKey", err)
		if got != created {
			t.Fatalf("GetKey = %+v, want %+v (and it must not use the key up)", got, created)
		}

		c.Advance(time.Hour) // exactly at the expiry: still valid
		used, err := a.UsePasswordlessKey(t.Context(), "magic", "token1")
		wantNoErr(t, "UsePasswordlessKey", err)
		if used != created {
			t.Fatalf("UsePasswordlessKey = %+v, want %+v", used, created)
		}
		_, err = adapter.GetKey(t.Context(), "magic:token1")
		wantErr(t, "GetKey after UsePasswordlessKey", err, luciapg.ErrInvalidKeyID)
		_, err = a.UsePasswordlessKey(t.Context(), "magic", "token1")
		wantErr(t, "UsePasswordlessKey again", err, luciapg.ErrInvalidKeyID)

		_, err = a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: "token2", ExpiresIn: time.Minute})
		wantNoErr(t, "CreateKey", err)
		c.Advance(time.Minute + time.Millisecond)
		got, err = a.GetKey(t.Context(), "magic", "token2")
		wantNoErr(t, "GetKey", err)
		if !got.Expired {
			t.Fatalf("GetKey of an expired key = %+v, want Expired", got)
		}
		_, err = a.UsePasswordlessKey(t.Context(), "magic", "token2")
		wantErr(t, "UsePasswordlessKey of an expired key", err, auth.ErrExpiredKey)
		_, err = adapter.GetKey(t.Context(), "magic:token2")
		wantErr(t, "GetKey of the expired key after UsePasswordlessKey", err, luciapg.ErrInvalidKeyID)

		_, err = a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: "token3", ExpiresIn: -time.Second})
		wantErr(t, "CreateKey with a negative expiry", err, luciapg.ErrInvalidInput)
	})
}

// The password is checked before anything is written: a wrong password
// leaves a single-use key in place for its owner.
func TestSingleUseKeyWithPassword(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		user := createUser(t, a)
		_, err := a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{
			ProviderID: "otp", ProviderUserID: user.ID, Password: "123456", ExpiresIn: 10 * time.Minute,
		})
		wantNoErr(t, "CreateKey", err)
		_, err = a.UseKey(t.Context(), "otp", user.ID, "654321")
		wantErr(t, "UseKey with a wrong password", err, auth.ErrInvalidPassword)
		_, err = a.UseKey(t.Context(), "otp", user.ID, "")
		wantErr(t, "UseKey without a password", err, auth.ErrInvalidPassword)
		_, err = adapter.GetKey(t.Context(), "otp:"+user.ID)
		wantNoErr(t, "GetKey after failed attempts", err)
		key, err := a.UseKey(t.Context(), "otp", user.ID, "123456")
		wantNoErr(t, "UseKey", err)
		if !key.PasswordDefined || !key.SingleUse() {
			t.Fatalf("UseKey = %+v, want the single-use key with a password", key)
		}
		_, err = adapter.GetKey(t.Context(), "otp:"+user.ID)
		wantErr(t, "GetKey after UseKey", err, luciapg.ErrInvalidKeyID)
	})
}

// Of concurrent UsePasswordlessKey calls on one single-use key exactly one
// succeeds; on an expired one exactly one learns it expired. (The key
// throttle is widened: eight attempts at once are more than it lets
// through.)
func TestUseSingleUseKeyConcurrently(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		c := newClock()
		a, err := auth.New(adapter, auth.Config{Now: c.Now, KeyThrottle: luciapg.ThrottlePolicy{FreeAttempts: 100}})
		if err != nil {
			t.Fatal(err)
		}
		user := createUser(t, a)
		for _, token := range []string{"valid", "expired"} {
			_, err := a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: token, ExpiresIn: time.Hour})
			wantNoErr(t, "CreateKey", err)
		}
		const callers = 8
		useAll := func(token string, want error) {
			t.Helper()
			errs := runConcurrently(callers, func(int) error {
				_, err := a.UsePasswordlessKey(t.Context(), "magic", token)
				return err
			})
			winners := 0
			for i, err := range errs {
				switch {
				case errors.Is(err, want):
					winners++
				case !errors.Is(err, luciapg.ErrInvalidKeyID):
					t.Fatalf("UsePasswordlessKey %d of %s: %v", i, token, err)
				}
			}
			if winners != 1 {
				t.Fatalf("%d of %d concurrent UsePasswordlessKey calls on the %s key got %v, want exactly 1", winners, callers, token, want)
			}
			_, err := adapter.GetKey(t.Context(), "magic:"+token)
			wantErr(t, "GetKey after the race", err, luciapg.ErrInvalidKeyID)
		}
		useAll("valid", nil)
		c.Advance(2 * time.Hour)
		useAll("expired", auth.ErrExpiredKey)
	})
}

func TestKeysOfAUser(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user, err := a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "github", ProviderUserID: "7"}})
		wantNoErr(t, "CreateUser", err)
		_, err = a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "google", ProviderUserID: "g7"})
		wantNoErr(t, "CreateKey", err)
		_, err = a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "google", ProviderUserID: "g7"})
		wantErr(t, "CreateKey of a taken id", err, luciapg.ErrDuplicateKeyID)
		_, err = a.CreateKey(t.Context(), "nobody", auth.CreateKeyParams{ProviderID: "google", ProviderUserID: "g8"})
		wantErr(t, "CreateKey for an unknown user", err, luciapg.ErrInvalidUserID)

		keys, err := a.GetAllUserKeys(t.Context(), user.ID)
		wantNoErr(t, "GetAllUserKeys", err)
		providers := map[string]bool{}
		for _, k := range keys {
			providers[k.ProviderID+":"+k.ProviderUserID] = k.Primary
		}
		if len(keys) != 2 || !providers["github:7"] || providers["google:g7"] {
			t.Fatalf("GetAllUserKeys = %+v, want the primary github key and the google key", keys)
		}

		// DeleteKey never deletes a primary key.
		wantNoErr(t, "DeleteKey of the primary key", a.DeleteKey(t.Context(), "github", "7"))
		wantNoErr(t, "DeleteKey", a.DeleteKey(t.Context(), "google", "g7"))
		wantNoErr(t, "DeleteKey of an unknown key", a.DeleteKey(t.Context(), "google", "g7"))
		_, err = a.GetKey(t.Context(), "github", "7")
		wantNoErr(t, "GetKey of the primary key", err)
		_, err = a.GetKey(t.Context(), "google", "g7")
		wantErr(t, "GetKey of the deleted key", err, luciapg.ErrInvalidKeyID)

		keyless := createUser(t, a)
		keys, err = a.GetAllUserKeys(t.Context(), keyless.ID)
		wantNoErr(t, "GetAllUserKeys of a user without keys", err)
		if len(keys) != 0 {
			t.Fatalf("GetAllUserKeys = %+v, want none", keys)
		}
		_, err = a.GetAllUserKeys(t.Context(), "nobody")
		wantErr(t, "GetAllUserKeys of an unknown user", err, luciapg.ErrInvalidUserID)
	})
}

func TestUpdateKeyPassword(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		user, err := a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada"}})
		wantNoErr(t, "CreateUser", err)
		key, err := a.UpdateKeyPassword(t.Context(), "username", "ada", "new password")
		wantNoErr(t, "UpdateKeyPassword", err)
		if !key.PasswordDefined || key.UserID != user.ID {
			t.Fatalf("UpdateKeyPassword = %+v, want a key with a password", key)
		}
		_, err = a.UseKey(t.Context(), "username", "ada", "new password")
		wantNoErr(t, "UseKey with the new password", err)

		key, err = a.UpdateKeyPassword(t.Context(), "username", "ada", "")
		wantNoErr(t, "UpdateKeyPassword to none", err)
		if key.PasswordDefined {
			t.Fatalf("UpdateKeyPassword with an empty password = %+v, want no password", key)
		}
		_, err = a.UsePasswordlessKey(t.Context(), "username", "ada")
		wantNoErr(t, "UsePasswordlessKey", err)
		_, err = a.UseKey(t.Context(), "username", "ada", "")
		wantErr(t, "UseKey with an empty password", err, auth.ErrInvalidPassword)
		_, err = a.UpdateKeyPassword(t.Context(), "username", "bob", "")
		wantErr(t, "UpdateKeyPassword of an unknown key", err, luciapg.ErrInvalidKeyID)
	})
}

// A hash in no known format is a server-side problem, not a wrong password.
func TestUseKeyMalformedHash(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user := createUser(t, a)
		garbage := "$2a$10$notascrypthash"
		wantNoErr(t, "SetKey", adapter.SetKey(t.Context(), luciapg.Key{ID: "email:x@example.com", UserID: user.ID, HashedPassword: &garbage}))
		_, err := a.UseKey(t.Context(), "email", "x@example.com", "password")
		wantErr(t, "UseKey", err, auth.ErrMalformedHash)
		if errors.Is(err, auth.ErrInvalidPassword) || strings.Contains(err.Error(), garbage) {
			t.Fatalf("UseKey error %q: want a malformed-hash error without the hash", err)
		}
	})
}

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newAuth(adapter)
		user, err := a.CreateUser(t.Context(), auth.CreateUserParams{
			Key:        &auth.PrimaryKeyParams{ProviderID: "github", ProviderUserID: "99"},
			Attributes: map[string]any{"username": "grace"},
		})
		wantNoErr(t, "CreateUser", err)
		updated, err := a.UpdateUserAttributes(t.Context(), user.ID, map[string]any{"nickname": "Amazing Grace"})
		wantNoErr(t, "UpdateUserAttributes", err)
		if updated.Attributes["nickname"] != "Amazing Grace" || updated.Attributes["username"] != "grace" {
			t.Fatalf("UpdateUserAttributes = %+v", updated)
		}
		got, err := a.GetUser(t.Context(), user.ID)
		wantNoErr(t, "GetUser", err)
		if got.Attributes["nickname"] != "Amazing Grace" {
			t.Fatalf("GetUser = %+v, want the update", got)
		}
		session, err := a.CreateSession(t.Context(), user.ID)
		wantNoErr(t, "CreateSession", err)

		wantNoErr(t, "DeleteUser", a.DeleteUser(t.Context(), user.ID))
		_, err = a.GetUser(t.Context(), user.ID)
		wantErr(t, "GetUser after DeleteUser", err, luciapg.ErrInvalidUserID)
		_, err = a.ValidateSession(t.Context(), session.ID)
		wantErr(t, "ValidateSession after DeleteUser", err, luciapg.ErrInvalidSessionID)
		_, err = a.UsePasswordlessKey(t.Context(), "github", "99")
		wantErr(t, "UsePasswordlessKey after DeleteUser", err, luciapg.ErrInvalidKeyID)
		_, err = a.UpdateUserAttributes(t.Context(), user.ID, map[string]any{"nickname": "x"})
		wantErr(t, "UpdateUserAttributes after DeleteUser", err, luciapg.ErrInvalidUserID)
		wantNoErr(t, "DeleteUser again", a.DeleteUser(t.Context(), user.ID))
	})
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for err, want := range map[*auth.Error]string{
		auth.ErrInvalidPassword: "AUTH_INVALID_PASSWORD", auth.ErrExpiredKey: "AUTH_EXPIRED_KEY",
		auth.ErrPasswordTooLong: "AUTH_PASSWORD_TOO_LONG", auth.ErrTooManyAttempts: "AUTH_TOO_MANY_ATTEMPTS",
	} {
		if err.Code() != want || err.Error() != want {
			t.Errorf("error %v has code %q, want %q", err, err.Code(), want)
		}
	}
}

// A password login never opens a key without a password, whatever the
// password (Lucia v1 let "" or anything open it: an OAuth-only account was
// one empty password away), and UsePasswordlessKey never opens a key that
// has one. A refused single-use key is left for its owner.
func TestPasswordAndPasswordlessKeysDoNotMix(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		bob, err := a.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "bob"}})
		wantNoErr(t, "CreateUser without a password", err)
		for _, password := range []string{"", " ", "anything"} {
			_, err = a.UseKey(t.Context(), "username", "bob", password)
			wantErr(t, "UseKey of a passwordless key with "+strconv.Quote(password), err, auth.ErrInvalidPassword)
		}
		_, err = a.CreateKey(t.Context(), bob.ID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: "t0ken", ExpiresIn: time.Hour})
		wantNoErr(t, "CreateKey", err)
		_, err = a.UseKey(t.Context(), "magic", "t0ken", "")
		wantErr(t, "UseKey of a passwordless single-use key", err, auth.ErrInvalidPassword)
		_, err = adapter.GetKey(t.Context(), "magic:t0ken")
		wantNoErr(t, "GetKey of the refused single-use key", err)

		_, err = a.CreateKey(t.Context(), bob.ID, auth.CreateKeyParams{ProviderID: "otp", ProviderUserID: bob.ID, Password: "123456", ExpiresIn: time.Hour})
		wantNoErr(t, "CreateKey", err)
		_, err = a.UsePasswordlessKey(t.Context(), "otp", bob.ID)
		wantErr(t, "UsePasswordlessKey of a key with a password", err, auth.ErrInvalidPassword)
		_, err = adapter.GetKey(t.Context(), "otp:"+bob.ID)
		wantNoErr(t, "GetKey of the refused key with a password", err)
		key, err := a.UseKey(t.Context(), "otp", bob.ID, "123456")
		wantNoErr(t, "UseKey with its password", err)
		if key.UserID != bob.ID {
			t.Fatalf("UseKey = %+v, want bob's key", key)
		}
	})
}

// A password set on a single-use key between UsePasswordlessKey's read and
// its delete stops the login (the key is gone either way), and so does a
// password removed between UseKey's read and delete.
func TestSingleUseKeyPasswordChangedMeanwhile(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		changing := &passwordChangeBeforeConsume{ThrottlingAdapter: adapter}
		a, _ := newFastAuth(changing)
		user := createUser(t, a)
		_, err := a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "magic", ProviderUserID: "a", ExpiresIn: time.Hour})
		wantNoErr(t, "CreateKey", err)
		set, _ := fastHasher{}.Hash("set meanwhile")
		changing.newHash = &set
		_, err = a.UsePasswordlessKey(t.Context(), "magic", "a")
		wantErr(t, "UsePasswordlessKey", err, auth.ErrInvalidPassword)

		_, err = a.CreateKey(t.Context(), user.ID, auth.CreateKeyParams{ProviderID: "otp", ProviderUserID: "b", Password: "123", ExpiresIn: time.Hour})
		wantNoErr(t, "CreateKey", err)
		changing.newHash = nil
		_, err = a.UseKey(t.Context(), "otp", "b", "123")
		wantErr(t, "UseKey", err, auth.ErrInvalidPassword)
		if changing.changes != 2 {
			t.Fatalf("%d passwords changed before ConsumeKey, want 2: the test tested nothing", changing.changes)
		}
		for _, id := range []string{"magic:a", "otp:b"} {
			_, err = adapter.GetKey(t.Context(), id)
			wantErr(t, "GetKey "+id, err, luciapg.ErrInvalidKeyID)
		}
	})
}

// passwordChangeBeforeConsume sets the key's password hash to newHash just
// before ConsumeKey, as a concurrent UpdateKeyPassword would.
type passwordChangeBeforeConsume struct {
	luciapg.ThrottlingAdapter
	newHash *string
	changes int
}

func (p *passwordChangeBeforeConsume) CountAttempt(ctx context.Context, key string, now time.Time, policy luciapg.ThrottlePolicy) (time.Duration, error) {
	return p.ThrottlingAdapter.(luciapg.AttemptThrottle).CountAttempt(ctx, key, now, policy)
}

func (p *passwordChangeBeforeConsume) ResetAttempts(ctx context.Context, key string) error {
	return p.ThrottlingAdapter.(luciapg.AttemptThrottle).ResetAttempts(ctx, key)
}

func (p *passwordChangeBeforeConsume) ConsumeKey(ctx context.Context, keyID string) (luciapg.Key, error) {
	if _, err := p.ThrottlingAdapter.UpdateKeyPassword(ctx, keyID, p.newHash); err != nil {
		return luciapg.Key{}, err
	}
	p.changes++
	return p.ThrottlingAdapter.ConsumeKey(ctx, keyID)
}
