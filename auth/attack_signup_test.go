package auth_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/pgcluster"
)

// TestAttackSignUpFloodStarvesLogins (security review, finding 7): sign-up
// hashed the password before it checked the name, was not throttled, and
// its hashes took the same turns as logins', so a flood of sign-ups (13×
// slower logins in the review) could hold every turn. Now:
//   - a taken name is refused before any hashing;
//   - sign-ups are counted per client address (Config.SignUpThrottle), and
//     past the free ones refused with ErrTooManyAttempts before hashing;
//   - sign-ups hash in at most Config.MaxConcurrentSignUpHashes turns, so
//     while they hold all of theirs a login still gets one.
func TestAttackSignUpFloodStarvesLogins(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		hasher := &holdingHasher{}
		a := mustAuth(auth.New(adapter, auth.Config{PasswordHasher: hasher, MaxConcurrentHashes: 4}))
		_, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}})
		wantNoErr(t, "CreateUser", err)

		// A taken name costs no hash.
		before := hasher.hashes.Load()
		for range 5 {
			_, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "another"}})
			wantErr(t, "CreateUser with a taken name", err, luciapg.ErrDuplicateKeyID)
		}
		if n := hasher.hashes.Load() - before; n != 0 {
			t.Errorf("5 sign-ups with a taken name ran %d hashes, want 0", n)
		}

		// One client's flood is throttled before hashing.
		flooder := auth.WithClientAddress(ctx, "2001:db8:7::1")
		before = hasher.hashes.Load()
		refused := 0
		for i := range 100 {
			_, err := a.CreateUser(flooder, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: fmt.Sprintf("flood%d", i), Password: "pw"}})
			if errors.Is(err, auth.ErrTooManyAttempts) {
				refused++
			} else {
				wantNoErr(t, "CreateUser", err)
			}
		}
		if refused == 0 {
			t.Error("100 sign-ups from one client address were all accepted")
		}
		if hashed := hasher.hashes.Load() - before; hashed+int64(refused) != 100 {
			t.Errorf("%d sign-ups hashed and %d refused: a refused one was hashed", hashed, refused)
		}

		// Sign-ups from many addresses, each held inside its hash: a login
		// must still get a turn.
		hasher.hold()
		t.Cleanup(hasher.release)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				client := auth.WithClientAddress(ctx, fmt.Sprintf("198.51.100.%d", i))
				_, _ = a.CreateUser(client, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: fmt.Sprintf("held%d", i), Password: "pw"}})
			})
		}
		pgcluster.Eventually(t, "the sign-ups to take their turns", func() (bool, error) {
			return hasher.holding.Load() >= 1, nil
		})
		loggedIn := make(chan error, 1)
		go func() {
			_, err := a.UseKey(ctx, "username", "ada", "right")
			loggedIn <- err
		}()
		pgcluster.Eventually(t, "a login while sign-ups hold their hashing turns", func() (bool, error) {
			select {
			case err := <-loggedIn:
				return true, err
			default:
				return false, nil
			}
		})
		if n := hasher.holding.Load(); n > 2 {
			t.Errorf("%d sign-ups hashed at once, want at most 2 (half of MaxConcurrentHashes)", n)
		}
		hasher.release()
		wg.Wait()
	})
}

// holdingHasher is fastHasher whose Hash, while held, waits for release,
// counting the hashes in progress.
type holdingHasher struct {
	fastHasher
	hashes  atomic.Int64
	holding atomic.Int64
	mu      sync.Mutex
	gate    chan struct{}
}

func (h *holdingHasher) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gate = make(chan struct{})
}

func (h *holdingHasher) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gate != nil {
		close(h.gate)
		h.gate = nil
	}
}

func (h *holdingHasher) Hash(password string) (string, error) {
	h.hashes.Add(1)
	h.mu.Lock()
	gate := h.gate
	h.mu.Unlock()
	if gate != nil {
		h.holding.Add(1)
		<-gate
		h.holding.Add(-1)
	}
	return h.fastHasher.Hash(password)
}
