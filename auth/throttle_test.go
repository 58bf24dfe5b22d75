package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/input"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// countingHasher is fastHasher counting its calls, to tell which attempts
// reached the hasher.
type countingHasher struct {
	hashes, verifies atomic.Int64
}

func (h *countingHasher) Hash(password string) (string, error) {
	h.hashes.Add(1)
	return fastHasher{}.Hash(password)
}

func (h *countingHasher) Verify(hash, password string) (bool, error) {
	h.verifies.Add(1)
	return fastHasher{}.Verify(hash, password)
}

// throttleFixture is an Auth with a counting hasher, a test clock and the
// user "ada" whose key username:ada has the password "right".
type throttleFixture struct {
	auth   *auth.Auth
	clock  *clock
	hasher *countingHasher
	userID string
}

func newThrottleFixture(t *testing.T, adapter luciapg.ThrottlingAdapter, cfg auth.Config) throttleFixture {
	t.Helper()
	f := throttleFixture{clock: newClock(), hasher: &countingHasher{}}
	cfg.Now, cfg.PasswordHasher = f.clock.Now, f.hasher
	f.auth = mustAuth(auth.New(adapter, cfg))
	user, err := f.auth.CreateUser(t.Context(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}})
	wantNoErr(t, "CreateUser", err)
	f.userID = user.ID
	return f
}

// login tries username:ada with password.
func (f throttleFixture) login(ctx context.Context, password string) error {
	_, err := f.auth.UseKey(ctx, "username", "ada", password)
	return err
}

// wantThrottled fails unless err is a throttling error asking to wait
// exactly retryAfter.
func wantThrottled(t *testing.T, op string, err error, retryAfter time.Duration) {
	t.Helper()
	var tooMany *auth.TooManyAttemptsError
	if !errors.Is(err, auth.ErrTooManyAttempts) || !errors.As(err, &tooMany) {
		t.Fatalf("%s: got error %v, want ErrTooManyAttempts", op, err)
	}
	if tooMany.RetryAfter != retryAfter {
		t.Fatalf("%s: retry after %v, want %v", op, tooMany.RetryAfter, retryAfter)
	}
}

// The default key policy: five free attempts, then waits of 1 s, 2 s, 4 s
// ..., doubling up to 15 minutes. The clock is the test's, so each wait is
// exact.
func TestKeyThrottleDelaysDoubleUpToTheCap(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newThrottleFixture(t, adapter, auth.Config{})
		for i := range 5 {
			wantErr(t, "free wrong attempt "+string(rune('1'+i)), f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
		}
		wait := time.Second
		for range 12 {
			wantThrottled(t, "attempt while blocked", f.login(t.Context(), "wrong"), wait)
			f.clock.Advance(wait - time.Millisecond)
			wantThrottled(t, "attempt 1 ms early", f.login(t.Context(), "wrong"), time.Millisecond)
			f.clock.Advance(time.Millisecond)
			wantErr(t, "attempt once the wait is over", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
			wait = min(2*wait, 15*time.Minute)
		}
		// After 1 s ... 512 s the waits reached the cap: 900 s twice.
		if wait != 15*time.Minute {
			t.Fatalf("the waits ended at %v, want the 15-minute cap", wait)
		}
		// A day without attempts forgets them.
		f.clock.Advance(24*time.Hour + time.Second)
		wantNoErr(t, "login the next day", f.login(t.Context(), "right"))
	})
}

// A throttled attempt is refused before the hasher runs, even with the
// right password: guessing costs the server nothing once blocked.
func TestThrottledAttemptDoesNotHash(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newThrottleFixture(t, adapter, auth.Config{})
		for range 5 {
			wantErr(t, "wrong attempt", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
		}
		before := f.hasher.verifies.Load()
		for _, password := range []string{"wrong", "right", ""} {
			wantThrottled(t, "attempt while blocked", f.login(t.Context(), password), time.Second)
		}
		if n := f.hasher.verifies.Load() - before; n != 0 {
			t.Fatalf("throttled attempts ran the hasher %d times, want 0", n)
		}
	})
}

// A success forgets the key's earlier failures.
func TestSuccessResetsTheKeyCount(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newThrottleFixture(t, adapter, auth.Config{})
		for range 4 {
			wantErr(t, "wrong attempt", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
		}
		wantNoErr(t, "login", f.login(t.Context(), "right"))
		for range 5 {
			wantErr(t, "wrong attempt after the success", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
		}
		wantThrottled(t, "sixth wrong attempt after the success", f.login(t.Context(), "wrong"), time.Second)
	})
}

// Attempts made at once are all counted: none slips through uncounted
// between a read and a write of the count.
func TestConcurrentFailuresAreAllCounted(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		const attempts = 20
		f := newThrottleFixture(t, adapter, auth.Config{KeyThrottle: luciapg.ThrottlePolicy{FreeAttempts: attempts}})
		errs := runConcurrently(attempts, func(int) error { return f.login(t.Context(), "wrong") })
		for _, err := range errs {
			wantErr(t, "concurrent wrong attempt", err, auth.ErrInvalidPassword)
		}
		wantThrottled(t, "the attempt after them", f.login(t.Context(), "wrong"), time.Second)
	})
}

// Two application instances on one database — two Auth values, two
// Stores, two pools — share the count: an attacker cannot multiply their
// attempts by spreading them over instances.
func TestThrottleIsSharedByInstances(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	otherPool, err := pgxpool.NewWithConfig(t.Context(), pool.Config())
	wantNoErr(t, "second pool", err)
	t.Cleanup(otherPool.Close)

	f := newThrottleFixture(t, luciapg.New(pool), auth.Config{})
	other, err := auth.New(luciapg.New(otherPool), auth.Config{Now: f.clock.Now, PasswordHasher: fastHasher{}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		wantErr(t, "wrong attempt on the first instance", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
	}
	for range 2 {
		_, err := other.UseKey(t.Context(), "username", "ada", "wrong")
		wantErr(t, "wrong attempt on the second instance", err, auth.ErrInvalidPassword)
	}
	wantThrottled(t, "sixth attempt, on the first instance", f.login(t.Context(), "wrong"), time.Second)
	_, err = other.UseKey(t.Context(), "username", "ada", "right")
	wantThrottled(t, "sixth attempt, on the second instance", err, time.Second)
}

// Attempts from one client address are counted across keys, existing or
// not; other addresses are unaffected, a success does not reset the
// address, and an IPv6 client counts with its whole /64.
func TestAddressThrottle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newThrottleFixture(t, adapter, auth.Config{AddressThrottle: luciapg.ThrottlePolicy{FreeAttempts: 3}})
		from := func(addr string) context.Context { return auth.WithClientAddress(t.Context(), addr) }
		guess := func(ctx context.Context, name string) error {
			_, err := f.auth.UseKey(ctx, "username", name, "guess")
			return err
		}

		wantErr(t, "guess 1", guess(from("192.0.2.7"), "bob"), luciapg.ErrInvalidKeyID)
		wantErr(t, "guess 2", guess(from("192.0.2.7"), "carol"), luciapg.ErrInvalidKeyID)
		wantNoErr(t, "a success from the same address", f.login(from("192.0.2.7"), "right"))
		wantThrottled(t, "guess 4 from the address", guess(from("192.0.2.7"), "dave"), time.Second)
		wantThrottled(t, "the right password from the address", f.login(from("192.0.2.7"), "right"), time.Second)
		wantErr(t, "a guess from another address", guess(from("198.51.100.1"), "dave"), luciapg.ErrInvalidKeyID)
		wantNoErr(t, "login without an address", f.login(t.Context(), "right"))

		// IPv6: one /64 is one client; the next /64 is another.
		for _, addr := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::ffff:1"} {
			wantErr(t, "guess from "+addr, guess(from(addr), "erin"), luciapg.ErrInvalidKeyID)
		}
		wantThrottled(t, "fourth guess from the /64", guess(from("2001:db8::abcd"), "erin"), time.Second)
		wantErr(t, "guess from the next /64", guess(from("2001:db8:0:1::1"), "erin"), luciapg.ErrInvalidKeyID)
		// An IPv4-mapped address is its IPv4 address.
		wantThrottled(t, "guess from ::ffff:192.0.2.7", guess(from("::ffff:192.0.2.7"), "frank"), time.Second)
	})
}

// recordingThrottle is an AttemptThrottle that records the throttle keys it
// is given.
type recordingThrottle struct {
	luciapg.AttemptThrottle
	mu   sync.Mutex
	keys []string
}

func (r *recordingThrottle) record(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, key)
}

func (r *recordingThrottle) CountAttempt(ctx context.Context, key string, now time.Time, policy luciapg.ThrottlePolicy) (time.Duration, error) {
	r.record(key)
	return r.AttemptThrottle.CountAttempt(ctx, key, now, policy)
}

func (r *recordingThrottle) ResetAttempts(ctx context.Context, key string) error {
	r.record("reset " + key)
	return r.AttemptThrottle.ResetAttempts(ctx, key)
}

// Throttle keys name the key id and the address, never the password; a
// key id too long or too odd to store as a throttle key is hashed.
func TestThrottleKeys(t *testing.T) {
	t.Parallel()
	throttle := &recordingThrottle{AttemptThrottle: memadapter.New()}
	f := newThrottleFixture(t, struct {
		luciapg.Adapter
		luciapg.AttemptThrottle
	}{memadapter.New(), throttle}, auth.Config{})
	ctx := auth.WithClientAddress(t.Context(), "192.0.2.7")
	const secret = "correct horse battery staple"
	wantErr(t, "UseKey", f.login(ctx, secret), auth.ErrInvalidPassword)
	wantNoErr(t, "UseKey", f.login(ctx, "right"))
	_, err := f.auth.UsePasswordlessKey(ctx, "magic", "token")
	wantErr(t, "UsePasswordlessKey", err, luciapg.ErrInvalidKeyID)
	long := strings.Repeat("x", luciapg.MaxIDBytes)
	_, err = f.auth.UseKey(t.Context(), "username", long, secret)
	wantErr(t, "UseKey of a long key id", err, luciapg.ErrInvalidKeyID)

	want := []string{
		"addr:192.0.2.7", "key#sha256:" + sha256Hex("username:ada"),
		"addr:192.0.2.7", "key#sha256:" + sha256Hex("username:ada"), "reset key#sha256:" + sha256Hex("username:ada"),
		"addr:192.0.2.7", "key#sha256:" + sha256Hex("magic:token"),
		"key#sha256:" + sha256Hex("username:"+long),
	}
	got := throttle.keys
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("throttle keys %q, want %q", got, want)
	}
	for _, key := range got {
		if err := input.ThrottleKey(strings.TrimPrefix(key, "reset ")); err != nil {
			t.Fatalf("throttle key %q is not storable: %v", key, err)
		}
	}
	for _, key := range got {
		if strings.Contains(key, secret) || strings.Contains(key, "right") {
			t.Fatalf("throttle key %q contains a password", key)
		}
		if strings.Contains(key, "token") {
			t.Fatalf("throttle key %q contains a passwordless key's id, which may be the secret", key)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// An adapter whose attempts are counted elsewhere is paired with its
// throttle by embedding both, and the throttle counts every attempt.
func TestAdapterPairedWithAThrottleOfItsOwn(t *testing.T) {
	t.Parallel()
	data, counts := memadapter.New(), memadapter.New()
	paired := struct {
		luciapg.Adapter
		luciapg.AttemptThrottle
	}{data, counts}
	f := newThrottleFixture(t, paired, auth.Config{KeyThrottle: luciapg.ThrottlePolicy{FreeAttempts: 1}})
	_, err := f.auth.UseKey(t.Context(), "username", "ada", "wrong")
	wantErr(t, "UseKey, first wrong password", err, auth.ErrInvalidPassword)
	_, err = f.auth.UseKey(t.Context(), "username", "ada", "wrong")
	wantErr(t, "UseKey, second wrong password", err, auth.ErrTooManyAttempts)
	if _, err := data.CountAttempt(t.Context(), "probe", time.Now(), luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second, Window: time.Second}); err != nil {
		t.Fatal(err)
	}
}

// auth.New refuses a config it cannot honour instead of replacing its
// values: a negative period, length or limit, or a throttle policy that
// cannot mean what it says.
func TestNewRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]auth.Config{
		"negative ActivePeriod":                 {ActivePeriod: -time.Hour},
		"negative IdlePeriod":                   {IdlePeriod: -1},
		"negative UserIDLength":                 {UserIDLength: -15},
		"negative SessionIDLength":              {SessionIDLength: -40},
		"negative MaxPasswordBytes":             {MaxPasswordBytes: -1},
		"negative MaxConcurrentHashes":          {MaxConcurrentHashes: -2},
		"KeyThrottle MaxDelay below BaseDelay":  {KeyThrottle: luciapg.ThrottlePolicy{BaseDelay: time.Minute, MaxDelay: time.Second}},
		"AddressThrottle Window below MaxDelay": {AddressThrottle: luciapg.ThrottlePolicy{MaxDelay: time.Hour, Window: time.Minute}},
		"negative KeyThrottle BaseDelay":        {KeyThrottle: luciapg.ThrottlePolicy{BaseDelay: -time.Second}},
		"negative AddressThrottle FreeAttempts": {AddressThrottle: luciapg.ThrottlePolicy{FreeAttempts: -1}},
	} {
		if a, err := auth.New(memadapter.New(), cfg); !errors.Is(err, luciapg.ErrInvalidConfig) || a != nil {
			t.Errorf("%s: auth.New = %v, %v; want ErrInvalidConfig", name, a, err)
		}
	}
	if _, err := auth.New(nil, auth.Config{}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("nil adapter: %v, want ErrInvalidConfig", err)
	}
	var nilStore *luciapg.Store
	if _, err := auth.New(nilStore, auth.Config{}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("nil *Store: %v, want ErrInvalidConfig", err)
	}
}

// UsePasswordlessKey is throttled like UseKey: a guessed one-time token is
// a guessed secret. Guesses of missing tokens count per address; a real
// key's failures (it has a password) count per key, and a success resets
// them.
func TestPasswordlessKeyThrottle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		f := newThrottleFixture(t, adapter, auth.Config{AddressThrottle: luciapg.ThrottlePolicy{FreeAttempts: 5}})
		ctx := auth.WithClientAddress(t.Context(), "203.0.113.9")
		for _, token := range []string{"a", "b", "c", "d", "e"} {
			_, err := f.auth.UsePasswordlessKey(ctx, "magic", token)
			wantErr(t, "guessed token", err, luciapg.ErrInvalidKeyID)
		}
		_, err := f.auth.UsePasswordlessKey(ctx, "magic", "f")
		wantThrottled(t, "sixth guessed token", err, time.Second)

		for range 5 {
			_, err := f.auth.UsePasswordlessKey(t.Context(), "username", "ada")
			wantErr(t, "UsePasswordlessKey of a password key", err, auth.ErrInvalidPassword)
		}
		_, err = f.auth.UsePasswordlessKey(t.Context(), "username", "ada")
		wantThrottled(t, "sixth attempt on the key", err, time.Second)

		_, err = f.auth.CreateKey(t.Context(), f.userID, auth.CreateKeyParams{ProviderID: "github", ProviderUserID: "7"})
		wantNoErr(t, "CreateKey", err)
		for range 4 {
			_, err = f.auth.UseKey(t.Context(), "github", "7", "guess")
			wantErr(t, "UseKey of the passwordless key", err, auth.ErrInvalidPassword)
		}
		_, err = f.auth.UsePasswordlessKey(t.Context(), "github", "7")
		wantNoErr(t, "UsePasswordlessKey", err)
		for range 5 {
			_, err = f.auth.UseKey(t.Context(), "github", "7", "guess")
			wantErr(t, "UseKey after the success", err, auth.ErrInvalidPassword)
		}
	})
}

// A zero or partly set policy takes the defaults for its zero fields, so
// setting one field never switches throttling off; an invalid one is
// refused by auth.New, never an unthrottled attempt (see also
// TestNewRefusesInvalidConfig).
func TestThrottlePolicyDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	f := newThrottleFixture(t, memadapter.New(), auth.Config{KeyThrottle: luciapg.ThrottlePolicy{FreeAttempts: 2}})
	wantErr(t, "attempt 1", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
	wantErr(t, "attempt 2", f.login(t.Context(), "wrong"), auth.ErrInvalidPassword)
	wantThrottled(t, "attempt 3", f.login(t.Context(), "wrong"), time.Second)

	if _, err := auth.New(memadapter.New(), auth.Config{KeyThrottle: luciapg.ThrottlePolicy{BaseDelay: time.Hour, MaxDelay: time.Minute}}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Fatalf("auth.New with an invalid KeyThrottle: %v, want ErrInvalidConfig", err)
	}
}

func TestTooManyAttemptsError(t *testing.T) {
	t.Parallel()
	err := error(&auth.TooManyAttemptsError{RetryAfter: 1500 * time.Millisecond})
	if !errors.Is(err, auth.ErrTooManyAttempts) || errors.Is(err, auth.ErrInvalidPassword) {
		t.Fatalf("errors.Is(%v, ErrTooManyAttempts) is false, or it matches ErrInvalidPassword", err)
	}
	if got, want := err.Error(), "AUTH_TOO_MANY_ATTEMPTS: retry after 2s"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	for d, want := range map[time.Duration]int64{
		0: 1, time.Nanosecond: 1, time.Second: 1, time.Second + time.Nanosecond: 2, 15 * time.Minute: 900,
	} {
		if got := auth.RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
