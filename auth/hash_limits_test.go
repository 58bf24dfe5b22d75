package auth_test

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// Every method that takes a password refuses one over MaxPasswordBytes
// before hashing or writing anything; one of exactly MaxPasswordBytes is
// accepted. The limit counts bytes as given: U+FDFA is 3 bytes, and NFKC
// turns it into 33 more.
func TestPasswordTooLong(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 2000} {
		t.Run("MaxPasswordBytes="+strconv.Itoa(limit), func(t *testing.T) {
			t.Parallel()
			maxBytes := limit
			if maxBytes == 0 {
				maxBytes = auth.DefaultMaxPasswordBytes
			}
			adapter := memadapter.New()
			hasher := &countingHasher{}
			a, err := auth.New(adapter, auth.Config{PasswordHasher: hasher, MaxPasswordBytes: limit})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			user, err := a.CreateUser(ctx, auth.CreateUserParams{UserID: "ada", Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}})
			wantNoErr(t, "CreateUser", err)
			hasher.hashes.Store(0)

			for name, long := range map[string]string{
				"one byte over":   strings.Repeat("a", maxBytes+1),
				"U+FDFA":          strings.Repeat("\ufdfa", maxBytes/3+1),
				"3 MiB of U+FDFA": strings.Repeat("\ufdfa", 1<<20),
			} {
				_, err := a.CreateUser(ctx, auth.CreateUserParams{UserID: "bob", Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "bob", Password: long}})
				wantErr(t, "CreateUser, "+name, err, auth.ErrPasswordTooLong)
				_, err = a.CreateKey(ctx, user.ID, auth.CreateKeyParams{ProviderID: "email", ProviderUserID: "ada@example.com", Password: long})
				wantErr(t, "CreateKey, "+name, err, auth.ErrPasswordTooLong)
				_, err = a.UpdateKeyPassword(ctx, "username", "ada", long)
				wantErr(t, "UpdateKeyPassword, "+name, err, auth.ErrPasswordTooLong)
				_, err = a.UseKey(ctx, "username", "ada", long)
				wantErr(t, "UseKey, "+name, err, auth.ErrPasswordTooLong)
			}
			if h, v := hasher.hashes.Load(), hasher.verifies.Load(); h != 0 || v != 0 {
				t.Fatalf("refused passwords ran the hasher: %d hashes, %d verifications", h, v)
			}
			// Nothing was written.
			_, err = a.GetUser(ctx, "bob")
			wantErr(t, "GetUser of the refused user", err, luciapg.ErrInvalidUserID)
			keys, err := adapter.GetKeysByUserID(ctx, user.ID)
			wantNoErr(t, "GetKeysByUserID", err)
			if len(keys) != 1 {
				t.Fatalf("%d keys after refused writes, want the one primary key", len(keys))
			}
			_, err = a.UseKey(ctx, "username", "ada", "right")
			wantNoErr(t, "UseKey with the unchanged password", err)

			longest := strings.Repeat("a", maxBytes)
			_, err = a.UpdateKeyPassword(ctx, "username", "ada", longest)
			wantNoErr(t, "UpdateKeyPassword at the limit", err)
			_, err = a.UseKey(ctx, "username", "ada", longest)
			wantNoErr(t, "UseKey at the limit", err)
		})
	}
}

// inFlightHasher records the most calls it ever had running at once, and
// holds each call for a while (yielding, not sleeping) so that overlaps
// happen.
type inFlightHasher struct {
	now, most atomic.Int64
}

func (h *inFlightHasher) enter() {
	n := h.now.Add(1)
	for {
		most := h.most.Load()
		if n <= most || h.most.CompareAndSwap(most, n) {
			break
		}
	}
	for range 200 {
		runtime.Gosched()
	}
	h.now.Add(-1)
}

func (h *inFlightHasher) Hash(password string) (string, error) {
	h.enter()
	return fastHasher{}.Hash(password)
}

func (h *inFlightHasher) Verify(hash, password string) (bool, error) {
	h.enter()
	return fastHasher{}.Verify(hash, password)
}

// MaxConcurrentHashes bounds every call of the hasher, a custom one too:
// hashes for sign-ups and password changes, verifications for logins, and
// the dummy verifications of refused logins.
func TestMaxConcurrentHashesBoundsEveryHasherCall(t *testing.T) {
	t.Parallel()
	const limit = 3
	hasher := &inFlightHasher{}
	a := mustAuth(auth.New(memadapter.New(), auth.Config{
		PasswordHasher: hasher, MaxConcurrentHashes: limit,
		KeyThrottle: luciapg.ThrottlePolicy{FreeAttempts: 1000},
	}))
	ctx := t.Context()
	_, err := a.CreateUser(ctx, auth.CreateUserParams{UserID: "ada", Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}})
	wantNoErr(t, "CreateUser", err)
	errs := runConcurrently(60, func(i int) error {
		name := "user" + strconv.Itoa(i)
		var err error
		switch i % 4 {
		case 0:
			_, err = a.CreateUser(ctx, auth.CreateUserParams{UserID: name, Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: name, Password: "pw"}})
		case 1:
			_, err = a.UseKey(ctx, "username", "ada", "right")
		case 2:
			_, err = a.UseKey(ctx, "username", name, "guess")
			if errors.Is(err, luciapg.ErrInvalidKeyID) {
				err = nil
			}
		case 3:
			_, err = a.CreateKey(ctx, "ada", auth.CreateKeyParams{ProviderID: "email", ProviderUserID: name, Password: "pw"})
		}
		return err
	})
	for i, err := range errs {
		wantNoErr(t, "call "+strconv.Itoa(i), err)
	}
	if most := hasher.most.Load(); most > limit || most < 1 {
		t.Fatalf("at most %d hasher calls ran at once, want between 1 and %d", most, limit)
	}
}

// blockingHasher holds every call until release is closed, counting the
// calls that entered.
type blockingHasher struct {
	entered atomic.Int64
	release chan struct{}
}

func (h *blockingHasher) Hash(password string) (string, error) {
	h.entered.Add(1)
	<-h.release
	return fastHasher{}.Hash(password)
}

func (h *blockingHasher) Verify(hash, password string) (bool, error) {
	h.entered.Add(1)
	<-h.release
	return fastHasher{}.Verify(hash, password)
}

// A call waiting for a turn at hashing gives up when its context ends,
// without ever running the hasher.
func TestWaitingForAHashTurnHonoursTheContext(t *testing.T) {
	t.Parallel()
	hasher := &blockingHasher{release: make(chan struct{})}
	a, err := auth.New(memadapter.New(), auth.Config{PasswordHasher: hasher, MaxConcurrentHashes: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := a.CreateUser(context.Background(), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pw"}})
		first <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for hasher.entered.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first call never reached the hasher")
		}
		runtime.Gosched()
	}

	ctx, cancel := context.WithCancel(t.Context())
	second := make(chan error, 1)
	go func() {
		_, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "bob", Password: "pw"}})
		second <- err
	}()
	cancel()
	select {
	case err := <-second:
		wantErr(t, "CreateUser whose context ended while waiting", err, context.Canceled)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting call did not return when its context ended")
	}
	if n := hasher.entered.Load(); n != 1 {
		t.Fatalf("%d calls entered the hasher, want only the first", n)
	}
	close(hasher.release)
	wantNoErr(t, "the first CreateUser", <-first)
	_, err = a.GetKey(t.Context(), "username", "bob")
	wantErr(t, "GetKey of the cancelled user's key", err, luciapg.ErrInvalidKeyID)
}

// liveHeap runs a collection and returns the heap it found live: what the
// program holds, not blocks it has finished with that a collection has yet
// to free.
func liveHeap(sample []metrics.Sample) uint64 {
	runtime.GC()
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// scryptMiB is what one scrypt run (N=16384, r=16) holds: 128·r·N bytes.
const scryptMiB = 32

// 200 logins at once with real scrypt keep the heap under
// (MaxConcurrentHashes + 2) × 32 MiB, measured while they run: only
// MaxConcurrentHashes scrypt runs hold their 32 MiB at a time, and the rest
// wait. Without the bound the same burst took 200 × 32 MiB ≈ 6.4 GiB.
//
// What is measured is the heap the logins hold: every millisecond the
// sampler forces a collection and reads the live heap it found
// (/gc/heap/live:bytes). Reading the heap without that (heap objects, or
// MemStats.HeapAlloc) also counts the 32 MiB blocks of runs that have
// finished but not yet been swept: how many depends on how far the
// collector lags (more under the race detector on a loaded machine), not
// on how many runs are allowed at once: that reading gave 96.8 MiB (3
// blocks) in most runs and crossed the bound in one run under the race
// detector. The collections are cheap here (the blocks
// hold no pointers to scan), and GOGC is lowered too so garbage does not
// pile up between them. Before the bound, 12 concurrent logins measured
// this way peaked at 352 MiB.
//
// Once every turn has been taken a few times over (3 × the limit
// verifications done, all 200 calls started), the remaining waiters are
// cancelled: running all 200 would take minutes under the race detector
// and measure nothing new. Not parallel: it measures the whole process's
// heap.
func TestConcurrentLoginsBoundHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	const calls = 200
	limit := runtime.GOMAXPROCS(0)
	bound := uint64(limit+2) * scryptMiB << 20

	adapter := memadapter.New()
	// Lucia v1's test vector: an s2 hash of "password123".
	hash := "s2:0123456789abcdef:06f0075911f59cbbc65e0b9f260a29e593427041e7e5afc48cde8a5f72a544a104242cd57a21fc52aa1e9f737ee85fc558640d82204f7efe7da69e1cdd60b111"
	for i := range calls {
		id := "user" + strconv.Itoa(i)
		_, err := adapter.SetUser(t.Context(), luciapg.User{ID: id}, &luciapg.Key{ID: "username:" + id, UserID: id, PrimaryKey: true, HashedPassword: &hash})
		wantNoErr(t, "SetUser", err)
	}
	verified := &countingVerifier{}
	a, err := auth.New(adapter, auth.Config{PasswordHasher: verified})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var started atomic.Int64
	var peak atomic.Uint64
	var samples atomic.Int64
	sampling := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		ticker := time.NewTicker(time.Millisecond)
		defer ticker.Stop()
		for {
			peak.Store(max(peak.Load(), liveHeap(sample)))
			samples.Add(1)
			select {
			case <-sampling:
				return
			case <-ticker.C:
			}
			if started.Load() == calls && verified.done.Load() >= int64(3*limit) {
				cancel()
			}
		}
	})
	errs := runConcurrently(calls, func(i int) error {
		started.Add(1)
		_, err := a.UseKey(ctx, "username", "user"+strconv.Itoa(i), "wrong password")
		return err
	})
	close(sampling)
	wg.Wait()

	cancelled := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, context.Canceled):
			cancelled++
		case !errors.Is(err, auth.ErrInvalidPassword):
			t.Fatalf("UseKey %d: %v", i, err)
		}
	}
	done := verified.done.Load()
	t.Logf("%d concurrent UseKey calls, %d turns at hashing: %d verified, %d cancelled while waiting; heap peak %.1f MiB over %d samples, bound %d MiB",
		calls, limit, done, cancelled, float64(peak.Load())/(1<<20), samples.Load(), bound>>20)
	if done < int64(3*limit) {
		t.Fatalf("only %d verifications ran, want at least %d for a meaningful peak", done, 3*limit)
	}
	if peak.Load() >= bound {
		t.Fatalf("%d concurrent UseKey calls peaked at %.1f MiB of heap, want under %d MiB", calls, float64(peak.Load())/(1<<20), bound>>20)
	}
}

// countingVerifier is Lucia v1's scrypt, counting finished verifications.
type countingVerifier struct {
	done atomic.Int64
}

func (c *countingVerifier) Hash(password string) (string, error) { return auth.HashPassword(password) }

func (c *countingVerifier) Verify(hash, password string) (bool, error) {
	defer c.done.Add(1)
	return auth.VerifyPassword(hash, password)
}
