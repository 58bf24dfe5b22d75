package passkey_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/passkey"
	"github.com/luciapg/luciapg/internal/testclock"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The relying party of the tests.
const (
	rpID   = "example.com"
	origin = "https://example.com"
	// clientAddress is the client every test request comes from: a
	// pending login is bound to the client that began it.
	clientAddress = "192.0.2.10"
	// sudoPeriod is the tests' auth.Config.SudoPeriod.
	sudoPeriod = 10 * time.Minute
)

// startTime is where test clocks begin.
var startTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable Config.Now, shared by an instance's Auth and
// Passkeys.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(startTime) }

// instance is one instance of an application: its own Store (pool), Auth
// and Passkeys, and its own clock, over a database others share.
type instance struct {
	auth  *auth.Auth
	pk    *passkey.Passkeys
	clock *clock
}

// env is a fresh database with a first instance over it.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	*instance
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, pool: testdb.New(t)}
	e.instance = e.newInstance(newClock())
	return e
}

// newInstance is another instance of the application over e's database,
// on clock c.
func (e *env) newInstance(c *clock) *instance {
	e.t.Helper()
	a, err := auth.New(luciapg.New(e.pool), auth.Config{Now: c.Now, SudoPeriod: sudoPeriod})
	if err != nil {
		e.t.Fatalf("auth.New: %v", err)
	}
	pk, err := passkey.New(a, passkey.Config{
		RPID:          rpID,
		RPDisplayName: "Example",
		RPOrigins:     []string{origin},
		Now:           c.Now,
	})
	if err != nil {
		e.t.Fatalf("passkey.New: %v", err)
	}
	return &instance{auth: a, pk: pk, clock: c}
}

// ctx is a request's context: the test's, from clientAddress.
func ctx(t *testing.T) context.Context {
	return auth.WithClientAddress(t.Context(), clientAddress)
}

// newUser makes a user and a session of theirs that a password login just
// made: in sudo mode while the user has no second factor.
func (in *instance) newUser(t *testing.T) auth.Session {
	t.Helper()
	u, err := in.auth.CreateUser(ctx(t), auth.CreateUserParams{})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	session, err := in.auth.CreateSessionWithFactors(ctx(t), u.ID, luciapg.FactorPassword)
	if err != nil {
		t.Fatalf("CreateSessionWithFactors: %v", err)
	}
	return session
}

// register adds a passkey made by a for the session's user.
func (in *instance) register(t *testing.T, session auth.Session, a *authenticator, name string) (*softKey, luciapg.Passkey) {
	t.Helper()
	c, err := in.pk.BeginRegistration(ctx(t), session)
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	response, k := a.create(t, c.Options)
	p, err := in.pk.FinishRegistration(ctx(t), session, c.Token, name, response)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	return k, p
}

// reauthenticate puts the session in sudo mode with passkey k: what a user
// with a second factor needs before registering another passkey or
// removing one.
func (in *instance) reauthenticate(t *testing.T, session auth.Session, a *authenticator, k *softKey) {
	t.Helper()
	c, err := in.pk.BeginReauthentication(ctx(t), session)
	if err != nil {
		t.Fatalf("BeginReauthentication: %v", err)
	}
	if err := in.pk.FinishReauthentication(ctx(t), session, c.Token, a.get(t, c.Options, k)); err != nil {
		t.Fatalf("FinishReauthentication: %v", err)
	}
}

// sessions counts the user's sessions.
func (in *instance) sessions(t *testing.T, userID string) int {
	t.Helper()
	sessions, err := in.auth.GetAllUserSessions(ctx(t), userID)
	if err != nil {
		t.Fatalf("GetAllUserSessions: %v", err)
	}
	return len(sessions)
}

// stored returns the user's passkey with k's credential id.
func (in *instance) stored(t *testing.T, userID string, k *softKey) luciapg.Passkey {
	t.Helper()
	passkeys, err := in.pk.List(ctx(t), userID)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, p := range passkeys {
		if string(p.CredentialID) == string(k.id) {
			return p
		}
	}
	t.Fatalf("the user has no passkey with the key's credential id")
	return luciapg.Passkey{}
}

// refused fails the test unless err is each of want (ErrInvalidPasskey
// when none is given), on one line, and free of every secret given (each
// also in the encodings an id would be quoted in).
func refused(t *testing.T, op string, err error, secrets []string, want ...error) {
	t.Helper()
	if len(want) == 0 {
		want = []error{passkey.ErrInvalidPasskey}
	}
	if err == nil {
		t.Fatalf("%s: accepted, want %v", op, want)
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Fatalf("%s: got %v, want %v", op, err, w)
		}
	}
	noSecrets(t, op, err, secrets...)
}

// noSecrets fails the test when err's text spans lines or holds a secret.
func noSecrets(t *testing.T, op string, err error, secrets ...string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("%s: the error spans lines: %q", op, msg)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("%s: the error %q holds a secret", op, msg)
		}
	}
}

// idForms are the ways bytes (a credential id, a user handle) could be
// quoted in a message.
func idForms(b []byte) []string {
	return []string{
		base64.RawURLEncoding.EncodeToString(b),
		base64.StdEncoding.EncodeToString(b),
		hex.EncodeToString(b),
		string(b),
	}
}

// secretsOf are the secrets of a ceremony with key k: its token, the
// challenge, the credential id and user handle.
func secretsOf(c passkey.Ceremony, k *softKey, sessions ...auth.Session) []string {
	s := []string{c.Token, optionsChallenge(c.Options)}
	if k != nil {
		s = append(s, idForms(k.id)...)
		s = append(s, idForms(k.userHandle)...)
	}
	for _, session := range sessions {
		s = append(s, session.ID)
	}
	return s
}

// optionsChallenge is the challenge in options, whichever ceremony's.
func optionsChallenge(options []byte) string {
	const key = `"challenge":"`
	s := string(options)
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	s = s[i+len(key):]
	return s[:strings.IndexByte(s, '"')]
}

// runConcurrently calls f n times at once and returns the errors in call
// order.
func runConcurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}
