package tokens_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// storage is an adapter that is also an attempt throttle, as the Store and
// memadapter are.
type storage interface {
	luciapg.Adapter
	luciapg.AttemptThrottle
}

// backend is a storage the tests run against.
type backend struct {
	name string
	new  func(t *testing.T) storage
}

var backends = []backend{
	{"memory", func(*testing.T) storage { return memadapter.New() }},
	{"postgres", func(t *testing.T) storage { return luciapg.New(testdb.New(t)) }},
}

// eachBackend runs test as a parallel subtest per backend, each on a fresh,
// empty storage.
func eachBackend(t *testing.T, test func(t *testing.T, env *env)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, newEnv(t, b.new(t)))
		})
	}
}

// env is an auth core on one storage with a test clock, and a user.
type env struct {
	storage storage
	core    *auth.Auth
	clock   *clock
	userID  string
}

func newEnv(t *testing.T, s storage) *env {
	t.Helper()
	c := &clock{now: startTime}
	core, err := auth.New(s, auth.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	user, err := core.CreateUser(t.Context(), auth.CreateUserParams{})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return &env{storage: s, core: core, clock: c, userID: user.ID}
}

// newUser creates another user and returns its id.
func (e *env) newUser(t *testing.T) string {
	t.Helper()
	user, err := e.core.CreateUser(t.Context(), auth.CreateUserParams{})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return user.ID
}

// tokenLifetime is how long the tests' tokens stay valid.
const tokenLifetime = time.Hour

func (e *env) idTokens(t *testing.T, name string) *tokens.IDTokens {
	t.Helper()
	ids, err := tokens.NewIDTokens(e.core, name, tokens.IDTokenConfig{ExpiresIn: tokenLifetime})
	if err != nil {
		t.Fatalf("NewIDTokens: %v", err)
	}
	return ids
}

func (e *env) passwordTokens(t *testing.T, name string) *tokens.PasswordTokens {
	t.Helper()
	codes, err := tokens.NewPasswordTokens(e.core, name, tokens.PasswordTokenConfig{
		ExpiresIn:       tokenLifetime,
		AttemptThrottle: e.storage,
		Now:             e.clock.Now,
	})
	if err != nil {
		t.Fatalf("NewPasswordTokens: %v", err)
	}
	return codes
}

// clock is a settable auth.Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// startTime is where test clocks begin: whole milliseconds, as stored.
var startTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", op, err, want)
	}
}

func wantNoErr(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}
