package luciapg_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// A pending change replaces the one before, reads back until it expires,
// and is consumed once, with its own token only.
func TestEmailChangeLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetEmailChange(ctx, luciapg.EmailChange{UserID: "nobody", NewEmail: "a@example.com", TokenID: "t0", Expires: now}); !errors.Is(err, luciapg.ErrInvalidUserID) {
		t.Fatalf("SetEmailChange for no user: %v, want ErrInvalidUserID", err)
	}
	first := luciapg.EmailChange{UserID: "u1", NewEmail: "first@example.com", TokenID: "t1", Expires: now.Add(time.Hour)}
	second := luciapg.EmailChange{UserID: "u1", NewEmail: "second@example.com", TokenID: "t2", Expires: now.Add(time.Hour)}
	for _, c := range []luciapg.EmailChange{first, second} {
		if err := store.SetEmailChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.GetEmailChange(ctx, "u1", now)
	if err != nil || got.NewEmail != second.NewEmail || got.TokenID != "t2" || !got.Expires.Equal(second.Expires) || got.CreatedAt.IsZero() {
		t.Fatalf("GetEmailChange = %+v, %v; want the second change", got, err)
	}
	if _, err := store.GetEmailChange(ctx, "u1", now.Add(2*time.Hour)); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
		t.Errorf("GetEmailChange after expiry: %v, want ErrEmailChangeNotFound", err)
	}
	for name, call := range map[string]func() error{
		"the replaced token": func() error { _, err := store.ConsumeEmailChange(ctx, "u1", "t1", now); return err },
		"after expiry":       func() error { _, err := store.ConsumeEmailChange(ctx, "u1", "t2", now.Add(2*time.Hour)); return err },
		"another user":       func() error { _, err := store.ConsumeEmailChange(ctx, "u2", "t2", now); return err },
		"an impossible id":   func() error { _, err := store.ConsumeEmailChange(ctx, "u1", "\x00", now); return err },
	} {
		if err := call(); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
			t.Errorf("ConsumeEmailChange with %s: %v, want ErrEmailChangeNotFound", name, err)
		}
	}
	// Of concurrent confirmations, one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := store.ConsumeEmailChange(ctx, "u1", "t2", now)
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
				if c.NewEmail != second.NewEmail {
					t.Errorf("consumed %+v", c)
				}
			} else if !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d confirmations won, want 1", wins)
	}
	if err := store.SetEmailChange(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteEmailChange(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteEmailChange(ctx, "u1"); err != nil {
		t.Fatalf("DeleteEmailChange of none: %v", err)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_email_change") != 0 {
		t.Fatal("DeleteEmailChange left the change")
	}
}

// A change the table could not hold is refused naming the field, never
// repeating the value.
func TestEmailChangeRefusesBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := luciapg.New(testdb.New(t))
	good := luciapg.EmailChange{UserID: "u1", NewEmail: "new@example.com", TokenID: "t1", Expires: time.Now()}
	for name, spoil := range map[string]func(c *luciapg.EmailChange){
		"empty email":    func(c *luciapg.EmailChange) { c.NewEmail = "" },
		"long email":     func(c *luciapg.EmailChange) { c.NewEmail = strings.Repeat("a", 250) + "@b.cd" },
		"NUL in email":   func(c *luciapg.EmailChange) { c.NewEmail = "new\x00@example.com" },
		"empty token id": func(c *luciapg.EmailChange) { c.TokenID = "" },
		"empty user id":  func(c *luciapg.EmailChange) { c.UserID = "" },
		"zero expiry":    func(c *luciapg.EmailChange) { c.Expires = time.Time{} },
	} {
		c := good
		spoil(&c)
		err := store.SetEmailChange(ctx, c)
		if !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		} else if strings.Contains(err.Error(), "example.com") {
			t.Errorf("%s: %q repeats the address", name, err)
		}
	}
}
