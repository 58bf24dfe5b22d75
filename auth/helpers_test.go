package auth_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testclock"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// testColumns are adaptertest.AttributeColumns for memadapter, so tests
// can use the same attributes on both backends.
var testColumns = []memadapter.Column{
	{Name: "username", Unique: true},
	{Name: "plan", NotNull: true, Default: "free"},
	{Name: "nickname"},
}

// backend is an adapter the auth core's tests run against.
type backend struct {
	name string
	new  func(t *testing.T) luciapg.ThrottlingAdapter
}

var backends = []backend{
	{"memory", func(*testing.T) luciapg.ThrottlingAdapter { return memadapter.New(testColumns...) }},
	{"postgres", func(t *testing.T) luciapg.ThrottlingAdapter { return luciapg.New(testdb.New(t)) }},
}

// eachBackend runs test as a parallel subtest per backend, each on a fresh,
// empty adapter.
func eachBackend(t *testing.T, test func(t *testing.T, adapter luciapg.ThrottlingAdapter)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b.new(t))
		})
	}
}

// clock is a settable Config.Now.
type clock = testclock.Clock

// startTime is where test clocks begin: whole milliseconds, as stored.
var startTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newClock() *clock { return testclock.New(startTime) }

// newAuth returns an Auth with default settings on adapter, driven by a
// test clock.
func newAuth(adapter luciapg.ThrottlingAdapter) (*auth.Auth, *clock) {
	c := newClock()
	return mustAuth(auth.New(adapter, auth.Config{Now: c.Now})), c
}

// createUser makes a user without a key.
func createUser(t *testing.T, a *auth.Auth) luciapg.User {
	t.Helper()
	user, err := a.CreateUser(t.Context(), auth.CreateUserParams{})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return user
}

// countingAdapter counts the calls that reach the adapter it wraps: reads
// of one session, and reads of all of a user's sessions.
type countingAdapter struct {
	luciapg.ThrottlingAdapter
	reads            atomic.Int64
	userSessionReads atomic.Int64
}

func (c *countingAdapter) GetSessionsByUserID(ctx context.Context, userID string) ([]luciapg.Session, error) {
	c.userSessionReads.Add(1)
	return c.ThrottlingAdapter.GetSessionsByUserID(ctx, userID)
}

// deleteBeforeExtend deletes the session just before ExtendSession runs,
// as a concurrent logout would.
type deleteBeforeExtend struct {
	luciapg.ThrottlingAdapter
	deleted bool
}

func (d *deleteBeforeExtend) ExtendSession(ctx context.Context, id string, activeExpires, idleExpires int64) (luciapg.Session, error) {
	if err := d.ThrottlingAdapter.DeleteSession(ctx, id); err != nil {
		return luciapg.Session{}, err
	}
	d.deleted = true
	return d.ThrottlingAdapter.ExtendSession(ctx, id, activeExpires, idleExpires)
}

func (c *countingAdapter) GetSession(ctx context.Context, id string) (luciapg.Session, error) {
	c.reads.Add(1)
	return c.ThrottlingAdapter.GetSession(ctx, id)
}

func (c *countingAdapter) GetSessionAndUser(ctx context.Context, id string) (luciapg.Session, luciapg.User, error) {
	c.reads.Add(1)
	return c.ThrottlingAdapter.GetSessionAndUser(ctx, id)
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

// runConcurrently calls f n times at once, released together, and returns
// the errors in call order.
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

// fastHasher is a PasswordHasher for tests of the rules around passwords
// (which key needs which password, what a wrong one does), where scrypt's
// deliberate cost — seconds per hash under the race detector — buys
// nothing. password_test.go tests scrypt itself, and the sign-up test and
// the examples keep it end to end.
type fastHasher struct{}

func (fastHasher) Hash(password string) (string, error) {
	sum := sha256.Sum256([]byte(password))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func (h fastHasher) Verify(hash, password string) (bool, error) {
	want, _ := h.Hash(password)
	return subtle.ConstantTimeCompare([]byte(hash), []byte(want)) == 1, nil
}

// mustAuth is auth.New's Auth, which the tests' fixed configs always get.
func mustAuth(a *auth.Auth, err error) *auth.Auth {
	if err != nil {
		panic(err)
	}
	return a
}

// newFastAuth is newAuth with fastHasher.
func newFastAuth(adapter luciapg.ThrottlingAdapter) (*auth.Auth, *clock) {
	c := newClock()
	return mustAuth(auth.New(adapter, auth.Config{Now: c.Now, PasswordHasher: fastHasher{}})), c
}
