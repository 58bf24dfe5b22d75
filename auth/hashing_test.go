package auth_test

import (
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// connectionWatchingHasher records how many of the pool's connections were
// checked out whenever it ran (it hashes with fastHasher: which connections
// are held does not depend on how long hashing takes).
type connectionWatchingHasher struct {
	pool *pgxpool.Pool

	mu       sync.Mutex
	runs     int
	acquired []int32
}

func (h *connectionWatchingHasher) record() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runs++
	if n := h.pool.Stat().AcquiredConns(); n != 0 {
		h.acquired = append(h.acquired, n)
	}
}

func (h *connectionWatchingHasher) Hash(password string) (string, error) {
	h.record()
	return fastHasher{}.Hash(password)
}

func (h *connectionWatchingHasher) Verify(hash, password string) (bool, error) {
	h.record()
	return fastHasher{}.Verify(hash, password)
}

// scrypt takes tens of milliseconds; a pooled connection held meanwhile is
// one other requests cannot use. The hasher is called only when no
// connection is checked out. The pool below belongs to this test
// alone, so any connection checked out while hashing would be ours.
func TestHashingHoldsNoConnection(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	hasher := &connectionWatchingHasher{pool: pool}
	c := newClock()
	a, err := auth.New(luciapg.New(pool), auth.Config{Now: c.Now, PasswordHasher: hasher})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// Control: the watcher does see a checked-out connection.
	conn, err := pool.Acquire(ctx)
	wantNoErr(t, "Acquire", err)
	hasher.record()
	conn.Release()
	if len(hasher.acquired) != 1 || hasher.acquired[0] != 1 {
		t.Fatalf("the watcher saw %v with one connection checked out, want [1]", hasher.acquired)
	}
	hasher.runs, hasher.acquired = 0, nil

	user, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: "a@example.com", Password: "one"}})
	wantNoErr(t, "CreateUser", err)
	_, err = a.UseKey(ctx, "email", "a@example.com", "one")
	wantNoErr(t, "UseKey", err)
	_, err = a.UpdateKeyPassword(ctx, "email", "a@example.com", "two")
	wantNoErr(t, "UpdateKeyPassword", err)
	_, err = a.CreateKey(ctx, user.ID, auth.CreateKeyParams{ProviderID: "otp", ProviderUserID: user.ID, Password: "123", ExpiresIn: time.Minute})
	wantNoErr(t, "CreateKey", err)
	_, err = a.UseKey(ctx, "otp", user.ID, "123")
	wantNoErr(t, "UseKey of the single-use key", err)

	hasher.mu.Lock()
	defer hasher.mu.Unlock()
	if hasher.runs != 5 {
		t.Fatalf("the hasher ran %d times, want 5 (3 hashes, 2 verifications)", hasher.runs)
	}
	if len(hasher.acquired) != 0 {
		t.Fatalf("connections were checked out while hashing: %v", hasher.acquired)
	}
}
