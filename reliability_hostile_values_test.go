package luciapg_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// awkwardColumns are auth_user columns whose names only work quoted.
const awkwardColumns = `ALTER TABLE auth_user
	ADD COLUMN "select" TEXT,
	ADD COLUMN "a""b; c" TEXT,
	ADD COLUMN "ユーザー" TEXT,
	ADD COLUMN " spaced name " TEXT`

// injectedNames are attribute names that would change a statement if
// spliced into it raw. Quoted, each is just an unknown column.
var injectedNames = []string{
	`username" = 'x' --`,
	`nickname; DROP TABLE auth_user; --`,
	`nickname") VALUES ('a'); DROP TABLE auth_key; --`,
	`"`, `'`, `\`, `nickname"`,
	`Username`, `user name`, `SELECT`, `$1`,
	strings.Repeat("n", 63), // the longest name accepted
}

// invalidNames cannot address exactly one column and are refused.
var invalidNames = []string{"", "id", "nick\x00name", "nick\xffname", strings.Repeat("n", 64)}

// valueCase is one hostile value given to one method. Exactly one of want
// (nil for success) and wantSQLState describes the outcome; a refused call
// must leave every table as it was, and an ErrInvalidInput one must not
// send a statement.
type valueCase struct {
	name         string
	call         func(ctx context.Context, s *luciapg.Store, existing string) error
	want         error
	wantSQLState string
}

func valueCases() []valueCase {
	tenMB := strings.Repeat("0123456789", 1<<20)
	cases := []valueCase{
		{name: "quoted column names round-trip", call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			attrs := map[string]any{"select": "s", `a"b; c`: "q", "ユーザー": "u", " spaced name ": "sp"}
			return roundTripAttributes(ctx, s, attrs)
		}},
		{name: "10 MB attribute value round-trips", call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			return roundTripAttributes(ctx, s, map[string]any{"nickname": tenMB})
		}},
		{name: "10 MB incompressible value in a unique column", wantSQLState: "54000", call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15), Attributes: map[string]any{"username": randomText(10 << 20)}}, nil)
			return err
		}},
		{name: "10 MB hashed password round-trips", call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			key := luciapg.Key{ID: "big:" + randomText(8), UserID: existing, HashedPassword: &tenMB}
			if err := s.SetKey(ctx, key); err != nil {
				return err
			}
			return wantKeyBack(ctx, s, key)
		}},
		{name: "nil attribute map takes the defaults", call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			got, err := s.SetUser(ctx, luciapg.User{ID: randomText(15)}, nil)
			if err == nil && !reflect.DeepEqual(got.Attributes, map[string]any{"username": nil, "plan": "free", "nickname": nil,
				"select": nil, `a"b; c`: nil, "ユーザー": nil, " spaced name ": nil}) {
				return errors.New("defaults not returned")
			}
			return err
		}},
		{name: "nil attribute map updates nothing", call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			before, err := s.GetUser(ctx, existing)
			if err != nil {
				return err
			}
			after, err := s.UpdateUserAttributes(ctx, existing, nil)
			if err == nil && !reflect.DeepEqual(before, after) {
				return errors.New("UpdateUserAttributes(nil) changed the user")
			}
			return err
		}},
		{name: "extreme expiries round-trip", call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			for _, ms := range []int64{math.MinInt64, -1, 0, math.MaxInt64} {
				session := luciapg.Session{ID: randomText(40), UserID: existing, ActiveExpires: ms, IdleExpires: ms}
				if err := s.SetSession(ctx, session); err != nil {
					return err
				}
				if got, err := s.GetSession(ctx, session.ID); err != nil || got != session {
					return errors.Join(errors.New("session expiry changed"), err)
				}
				key := luciapg.Key{ID: "otp:" + randomText(8), UserID: existing, Expires: &ms}
				if err := s.SetKey(ctx, key); err != nil {
					return err
				}
				if err := wantKeyBack(ctx, s, key); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "SetUser with a key for another user", want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15)}, &luciapg.Key{ID: "email:x", UserID: existing, PrimaryKey: true})
			return err
		}},
		{name: "SetUser with a NUL in the key's password", want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15)}, &luciapg.Key{ID: "email:y", HashedPassword: pointerTo("h\x00")})
			return err
		}},
		{name: "SetKey with invalid UTF-8 in the password", want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			return s.SetKey(ctx, luciapg.Key{ID: "email:z", UserID: existing, HashedPassword: pointerTo("h\xff")})
		}},
		{name: "UpdateKeyPassword with a NUL", want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			_, err := s.UpdateKeyPassword(ctx, "email:"+existing, pointerTo("\x00"))
			return err
		}},
		{name: "attribute value with a NUL", want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15), Attributes: map[string]any{"nickname": "a\x00b"}}, nil)
			return err
		}},
		{name: "attribute *string with invalid UTF-8", want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, existing string) error {
			_, err := s.UpdateUserAttributes(ctx, existing, map[string]any{"nickname": pointerTo("\xc3")})
			return err
		}},
		{name: "attribute value of a type pgx cannot encode", want: errAnyFailure, call: func(ctx context.Context, s *luciapg.Store, _ string) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15), Attributes: map[string]any{"nickname": make(chan int)}}, nil)
			return err
		}},
	}
	for _, name := range injectedNames {
		cases = append(cases,
			valueCase{name: "SetUser attribute " + name, wantSQLState: "42703", call: func(ctx context.Context, s *luciapg.Store, _ string) error {
				_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15), Attributes: map[string]any{name: "v", "nickname": "n"}}, &luciapg.Key{ID: "k:" + randomText(8)})
				return err
			}},
			valueCase{name: "UpdateUserAttributes " + name, wantSQLState: "42703", call: func(ctx context.Context, s *luciapg.Store, existing string) error {
				_, err := s.UpdateUserAttributes(ctx, existing, map[string]any{name: "v", "nickname": "n"})
				return err
			}})
	}
	for _, name := range invalidNames {
		cases = append(cases,
			valueCase{name: "SetUser attribute " + name, want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, _ string) error {
				_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15), Attributes: map[string]any{name: "v"}}, nil)
				return err
			}},
			valueCase{name: "UpdateUserAttributes " + name, want: luciapg.ErrInvalidInput, call: func(ctx context.Context, s *luciapg.Store, existing string) error {
				_, err := s.UpdateUserAttributes(ctx, existing, map[string]any{name: "v"})
				return err
			}})
	}
	return cases
}

// errAnyFailure stands for "some error, with nothing written".
var errAnyFailure = errors.New("any error")

// TestHostileValues gives every method hostile attribute names and values,
// huge values, extreme expiries, nil maps and mismatched keys. Each gets
// correct behaviour or a clear error; a refused call writes nothing and
// leaves the schema alone; the pool works afterwards.
func TestHostileValues(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	pool, statements := countedPool(t, url, 2)
	store := luciapg.New(pool)
	ctx := callContext(t)
	if _, err := pool.Exec(ctx, awkwardColumns); err != nil {
		t.Fatal(err)
	}
	existing := "hostile_" + randomText(8)
	if _, err := store.SetUser(ctx, luciapg.User{ID: existing}, &luciapg.Key{ID: "email:" + existing, PrimaryKey: true}); err != nil {
		t.Fatal(err)
	}
	schema := schemaFingerprint(t, pool)
	for _, c := range valueCases() {
		t.Run(c.name, func(t *testing.T) {
			before, sent := countAuthRows(t, pool), statements.n.Load()
			err := c.call(ctx, store, existing)
			switch {
			case c.wantSQLState != "":
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != c.wantSQLState {
					t.Fatalf("got error %v, want SQLSTATE %s", err, c.wantSQLState)
				}
			case c.want == errAnyFailure:
				if err == nil {
					t.Fatal("got no error")
				}
			case c.want == nil:
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				return
			default:
				if !errors.Is(err, c.want) {
					t.Fatalf("got error %v, want %v", err, c.want)
				}
				if n := statements.n.Load() - sent; n != 0 {
					t.Errorf("sent %d statements for refused input, want none", n)
				}
			}
			if after := countAuthRows(t, pool); after != before {
				t.Errorf("a refused call changed rows from %+v to %+v", before, after)
			}
		})
	}
	if got := schemaFingerprint(t, pool); got != schema {
		t.Errorf("schema changed:\n got  %s\n want %s", got, schema)
	}
	wantNoOrphans(t, pool)
	wantPoolWorks(t, store)
}

// roundTripAttributes stores a user with attrs, updates them to new
// values, and checks that both read back exactly.
func roundTripAttributes(ctx context.Context, s *luciapg.Store, attrs map[string]any) error {
	id := randomText(15)
	if _, err := s.SetUser(ctx, luciapg.User{ID: id, Attributes: attrs}, nil); err != nil {
		return err
	}
	if err := wantAttributes(ctx, s, id, attrs); err != nil {
		return err
	}
	changed := make(map[string]any, len(attrs))
	for name, v := range attrs {
		changed[name] = v.(string) + "!"
	}
	if _, err := s.UpdateUserAttributes(ctx, id, changed); err != nil {
		return err
	}
	return wantAttributes(ctx, s, id, changed)
}

func wantAttributes(ctx context.Context, s *luciapg.Store, id string, attrs map[string]any) error {
	got, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	for name, v := range attrs {
		if got.Attributes[name] != v {
			return errors.New("attribute " + name + " did not round-trip")
		}
	}
	return nil
}

func wantKeyBack(ctx context.Context, s *luciapg.Store, key luciapg.Key) error {
	got, err := s.GetKey(ctx, key.ID)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(got, key) {
		return errors.New("key did not round-trip")
	}
	return nil
}

// schemaFingerprint lists the columns of every table in the public schema.
func schemaFingerprint(t testing.TB, db luciapg.DB) string {
	t.Helper()
	var s string
	err := db.QueryRow(context.Background(), `SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, column_name)
		FROM information_schema.columns WHERE table_schema = 'public'`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
