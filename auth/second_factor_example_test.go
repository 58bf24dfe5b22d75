package auth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// An authenticator app: the application's key seals each secret; the user,
// freshly logged in, scans a QR code and types a first code. From then on a
// login takes two steps.
func ExampleAuth_BeginTOTPEnrollment() {
	ctx := context.Background()
	// In production: 32 bytes from a secret store, the same on every
	// instance (here random, so nothing sealed outlives the example).
	sealingKey := make([]byte, 32)
	_, _ = rand.Read(sealingKey)
	a, err := auth.New(memadapter.New(), auth.Config{
		SecretKeys: []auth.SecretKey{{ID: "2026-01", Key: sealingKey}},
		TOTPIssuer: "Example",
	})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: "ada@example.com", Password: "correct horse"}})
	result, _ := a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	session := result.Session // no second factor yet: a session

	// A fresh login is in sudo mode: the enrolment may begin.
	enrolment, err := a.BeginTOTPEnrollment(ctx, session, "ada@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Show enrolment.QRCode (a PNG) and enrolment.Secret, then read a code
	// from the user's app.
	code, _ := totp.GenerateCode(enrolment.Secret, time.Now())
	if err := a.ConfirmTOTPEnrollment(ctx, session, code); err != nil {
		fmt.Println(err)
		return
	}

	// The next login waits for a code.
	result, _ = a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	fmt.Println("pending:", result.Pending != nil, "authenticator app:", result.Pending.Methods.TOTP)
	// Output:
	// pending: true authenticator app: true
}

// The two-step login: the first step proves the password and returns a
// pending login (its token goes to the client, in a cookie with authhttp);
// the second finishes it with a code from the user's authenticator app,
// or a recovery code.
func ExampleAuth_BeginLogin() {
	ctx := context.Background()
	a, user, _, secret := exampleUserWithTOTP()

	// Step one: the password. The client's address binds the pending login
	// (authhttp's Middleware puts it in every request's context).
	ctx = auth.WithClientAddress(ctx, "192.0.2.1")
	result, err := a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	if err != nil {
		fmt.Println(err)
		return
	}
	if result.Pending == nil {
		fmt.Println("logged in, no second factor")
		return
	}
	token := result.Pending.Token // to the client

	// Step two, on the next request from the client: its code.
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	session, err := a.CompleteLoginWithTOTP(ctx, token, code)
	if err != nil {
		fmt.Println(err) // auth.ErrInvalidCode, auth.ErrTooManyAttempts, auth.ErrInvalidPendingLogin
		return
	}
	fmt.Println("logged in:", session.UserID == user.ID)

	// The token made one session; it makes no other.
	_, err = a.CompleteLoginWithTOTP(ctx, token, code)
	fmt.Println("token again:", errors.Is(err, auth.ErrInvalidPendingLogin))
	// Output:
	// logged in: true
	// token again: true
}

// Sudo mode: a sensitive action is allowed for a while after the user last
// proved who they are in this session; then they prove it again.
func ExampleAuth_RequireSudo() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a, _ := auth.New(memadapter.New(), auth.Config{
		SudoPeriod: 10 * time.Minute,
		Now:        func() time.Time { return now },
	})
	_, _ = a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: "ada@example.com", Password: "correct horse"}})
	result, _ := a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	session := result.Session

	fmt.Println("just logged in:", a.RequireSudo(ctx, session))
	now = now.Add(time.Hour)
	fmt.Println("an hour later:", a.RequireSudo(ctx, session))
	_ = a.ReauthenticateWithPassword(ctx, session, "email", "ada@example.com", "correct horse")
	fmt.Println("after the password:", a.RequireSudo(ctx, session))
	// Output:
	// just logged in: <nil>
	// an hour later: LUCIAPG_SUDO_REQUIRED
	// after the password: <nil>
}

// A session a Lucia v1 app made (after a password alone) has no factor
// record: the Go side asks for the second factor before it serves it.
func ExampleAuth_RequireSecondFactor() {
	ctx := context.Background()
	a, user, _, secret := exampleUserWithTOTP()
	session, _ := a.CreateSession(ctx, user.ID) // as a Lucia v1 app does

	err := a.RequireSecondFactor(ctx, session)
	fmt.Println(errors.Is(err, auth.ErrSecondFactorRequired))
	// Show the code form; then:
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	_ = a.ReauthenticateWithTOTP(ctx, session, code)
	fmt.Println(a.RequireSecondFactor(ctx, session))
	// Output:
	// true
	// <nil>
}

// Recovery codes stand in for a lost authenticator app: ten, each good
// once, shown once; only their hashes are stored.
func ExampleAuth_GenerateRecoveryCodes() {
	ctx := context.Background()
	a, _, session, _ := exampleUserWithTOTP()

	codes, _ := a.GenerateRecoveryCodes(ctx, session) // show them once
	fmt.Println(len(codes), "codes, each of 4 groups of 4:", len(strings.Split(codes[0], "-")) == 4)
	result, _ := a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	_, err := a.CompleteLoginWithRecoveryCode(ctx, result.Pending.Token, codes[0])
	fmt.Println("first use:", err)
	result, _ = a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	_, err = a.CompleteLoginWithRecoveryCode(ctx, result.Pending.Token, codes[0])
	fmt.Println("second use:", err)
	// Output:
	// 10 codes, each of 4 groups of 4: true
	// first use: <nil>
	// second use: LUCIAPG_INVALID_CODE
}

// Rotating the sealing key: put the new key first. New enrolments are
// sealed with it; secrets sealed with the old one still open as long as it
// is listed.
func ExampleSecretKey() {
	oldKey, newKey := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(oldKey)
	_, _ = rand.Read(newKey)
	_, err := auth.New(memadapter.New(), auth.Config{SecretKeys: []auth.SecretKey{
		{ID: "2026-06", Key: newKey}, // seals new secrets
		{ID: "2026-01", Key: oldKey}, // still opens older ones
	}})
	fmt.Println(err)
	// Output:
	// <nil>
}

// exampleUserWithTOTP is an Auth on memadapter with a user whose
// authenticator app is confirmed, the session that enrolled it (in sudo
// mode, with the app proven) and the app's secret.
func exampleUserWithTOTP() (*auth.Auth, luciapg.User, auth.Session, string) {
	ctx := context.Background()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	a, err := auth.New(memadapter.New(), auth.Config{SecretKeys: []auth.SecretKey{{ID: "k1", Key: key}}})
	if err != nil {
		log.Fatal(err)
	}
	user, _ := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: "ada@example.com", Password: "correct horse"}})
	result, _ := a.BeginLogin(ctx, "email", "ada@example.com", "correct horse")
	enrolment, err := a.BeginTOTPEnrollment(ctx, result.Session, "ada@example.com")
	if err != nil {
		log.Fatal(err)
	}
	code, _ := totp.GenerateCode(enrolment.Secret, time.Now())
	if err := a.ConfirmTOTPEnrollment(ctx, result.Session, code); err != nil {
		log.Fatal(err)
	}
	return a, user, result.Session, enrolment.Secret
}
