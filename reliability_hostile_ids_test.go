package luciapg_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// unstorableIDs are ids no row can have: PostgreSQL's text cannot hold the
// first three, and the last is over luciapg.MaxIDBytes.
var unstorableIDs = map[string]string{
	"empty":         "",
	"NUL byte":      "user\x00id",
	"invalid UTF-8": "user\xff\xfeid",
	"1 MB":          strings.Repeat("x", 1<<20),
}

// idMethod calls one Store method with the hostile id in one position.
// For an id that can never be stored, a lookup reads as not found
// (wantUnstorable is its sentinel, nil for deletes and lists) and a write
// fails with luciapg.ErrInvalidInput; neither reaches the database.
type idMethod struct {
	name           string
	call           func(ctx context.Context, s *luciapg.Store, id string) error
	wantUnstorable error
}

// idMethods covers every method of the Adapter and every id it takes.
// existingUser names a user that exists, for the calls that need one.
func idMethods(existingUser string) []idMethod {
	return []idMethod{
		{"GetUser", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.GetUser(ctx, id)
			return err
		}, luciapg.ErrInvalidUserID},
		{"SetUser/user id", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: id}, nil)
			return err
		}, luciapg.ErrInvalidInput},
		{"SetUser/user id with key", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: id}, &luciapg.Key{ID: "email:" + randomText(8), PrimaryKey: true})
			return err
		}, luciapg.ErrInvalidInput},
		{"SetUser/key id", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15)}, &luciapg.Key{ID: id, PrimaryKey: true})
			return err
		}, luciapg.ErrInvalidInput},
		{"UpdateUserAttributes", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.UpdateUserAttributes(ctx, id, map[string]any{"nickname": "n"})
			return err
		}, luciapg.ErrInvalidUserID},
		{"UpdateUserAttributes/nil map", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.UpdateUserAttributes(ctx, id, nil)
			return err
		}, luciapg.ErrInvalidUserID},
		{"DeleteUser", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.DeleteUser(ctx, id)
		}, nil},
		{"GetKey", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.GetKey(ctx, id)
			return err
		}, luciapg.ErrInvalidKeyID},
		{"GetKeysByUserID", func(ctx context.Context, s *luciapg.Store, id string) error {
			return wantEmpty(s.GetKeysByUserID(ctx, id))
		}, nil},
		{"SetKey/key id", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.SetKey(ctx, luciapg.Key{ID: id, UserID: existingUser})
		}, luciapg.ErrInvalidInput},
		{"SetKey/user id", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.SetKey(ctx, luciapg.Key{ID: "email:" + randomText(8), UserID: id})
		}, luciapg.ErrInvalidInput},
		{"UpdateKeyPassword", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.UpdateKeyPassword(ctx, id, pointerTo("HASH"))
			return err
		}, luciapg.ErrInvalidKeyID},
		{"DeleteNonPrimaryKey", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.DeleteNonPrimaryKey(ctx, id)
		}, nil},
		{"ConsumeKey", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.ConsumeKey(ctx, id)
			return err
		}, luciapg.ErrInvalidKeyID},
		{"DeleteKeysByUserID", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.DeleteKeysByUserID(ctx, id)
		}, nil},
		{"GetSession", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, err := s.GetSession(ctx, id)
			return err
		}, luciapg.ErrInvalidSessionID},
		{"GetSessionsByUserID", func(ctx context.Context, s *luciapg.Store, id string) error {
			return wantEmpty(s.GetSessionsByUserID(ctx, id))
		}, nil},
		{"SetSession/session id", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.SetSession(ctx, luciapg.Session{ID: id, UserID: existingUser, ActiveExpires: 1, IdleExpires: 2})
		}, luciapg.ErrInvalidInput},
		{"SetSession/user id", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.SetSession(ctx, luciapg.Session{ID: randomText(40), UserID: id, ActiveExpires: 1, IdleExpires: 2})
		}, luciapg.ErrInvalidInput},
		{"DeleteSession", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.DeleteSession(ctx, id)
		}, nil},
		{"DeleteSessionsByUserID", func(ctx context.Context, s *luciapg.Store, id string) error {
			return s.DeleteSessionsByUserID(ctx, id)
		}, nil},
		{"GetSessionAndUser", func(ctx context.Context, s *luciapg.Store, id string) error {
			_, _, err := s.GetSessionAndUser(ctx, id)
			return err
		}, luciapg.ErrInvalidSessionID},
	}
}

var errNotEmpty = errors.New("list of an unstorable id is not empty")

func wantEmpty[T any](list []T, err error) error {
	if err == nil && len(list) != 0 {
		return errNotEmpty
	}
	return err
}

// TestHostileIDs calls every method with every id no row can have: each
// lookup reads as not found, each write is refused with ErrInvalidInput
// naming the field but not the value, none sends a statement, and nothing
// is written.
func TestHostileIDs(t *testing.T) {
	t.Parallel()
	pool, statements := countedPool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	ctx := callContext(t)
	existing := "hostile_owner"
	if _, err := store.SetUser(ctx, luciapg.User{ID: existing}, nil); err != nil {
		t.Fatal(err)
	}
	before := countAuthRows(t, pool)
	for idName, id := range unstorableIDs {
		for _, m := range idMethods(existing) {
			t.Run(idName+"/"+m.name, func(t *testing.T) {
				sent := statements.n.Load()
				err := m.call(ctx, store, id)
				if !errors.Is(err, m.wantUnstorable) || (m.wantUnstorable == nil && err != nil) {
					t.Fatalf("got error %v, want %v", err, m.wantUnstorable)
				}
				if n := statements.n.Load() - sent; n != 0 {
					t.Errorf("sent %d statements for an id no row can have, want none", n)
				}
				if err != nil && id != "" && strings.Contains(err.Error(), id) {
					t.Errorf("error text %q contains the id", err)
				}
			})
		}
	}
	if after := countAuthRows(t, pool); after != before {
		t.Errorf("rows changed from %+v to %+v", before, after)
	}
	wantPoolWorks(t, store)
}

// TestAwkwardButValidIDs stores ids that are valid but unusual — SQL text,
// quotes, unicode, exactly MaxIDBytes of incompressible text — and reads
// each back unchanged through every kind of row.
func TestAwkwardButValidIDs(t *testing.T) {
	t.Parallel()
	store, pool, _ := newReliabilityStore(t, 2)
	ids := map[string]string{
		"SQL":                 "x'); DROP TABLE auth_user; --",
		"quotes":              `"id" = 'id' OR 1=1`,
		"unicode":             "ユーザー🙂\u202e",
		"whitespace":          " \t\n ",
		"MaxIDBytes":          randomText(luciapg.MaxIDBytes),
		"MaxIDBytes of runes": strings.Repeat("🙂", luciapg.MaxIDBytes/4),
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			ctx := callContext(t)
			key := luciapg.Key{ID: id, PrimaryKey: true, HashedPassword: pointerTo("h")}
			if _, err := store.SetUser(ctx, luciapg.User{ID: id}, &key); err != nil {
				t.Fatalf("SetUser: %v", err)
			}
			session := luciapg.Session{ID: id, UserID: id, ActiveExpires: 1, IdleExpires: 2}
			if err := store.SetSession(ctx, session); err != nil {
				t.Fatalf("SetSession: %v", err)
			}
			gotSession, gotUser, err := store.GetSessionAndUser(ctx, id)
			if err != nil || gotSession != session || gotUser.ID != id {
				t.Fatalf("GetSessionAndUser: session matches %v, user id matches %v, error %v", gotSession == session, gotUser.ID == id, err)
			}
			gotKey, err := store.GetKey(ctx, id)
			if err != nil || gotKey.ID != id || gotKey.UserID != id {
				t.Fatalf("GetKey: got the same id %v, error %v", gotKey.ID == id, err)
			}
			if err := store.DeleteUser(ctx, id); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if _, err := store.GetUser(ctx, id); !errors.Is(err, luciapg.ErrInvalidUserID) {
				t.Fatalf("GetUser after DeleteUser: %v", err)
			}
		})
	}
	wantNoOrphans(t, pool)
}
