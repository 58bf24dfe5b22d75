package luciapg_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The fuzz targets run their seeds (f.Add and testdata/fuzz) in every
// `go test`; `go test -fuzz=FuzzIDs -run='^$' .` explores further. Each
// fuzzing process works on a database of its own.

// storableID is the fuzz oracle's own statement of which ids luciapg
// stores: non-empty, at most MaxIDBytes, valid UTF-8 without NUL.
func storableID(id string) bool {
	return id != "" && len(id) <= luciapg.MaxIDBytes && storableText(id)
}

func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// fuzzStore returns a Store on a fresh database for one fuzzing process.
func fuzzStore(f *testing.F) (*luciapg.Store, *pgxpool.Pool) {
	url := testdb.NewURL(f)
	pool := testdb.Pool(f, url, 2)
	// Marks the database so one left behind by a fuzzing process that was
	// stopped before its cleanup can be found and dropped.
	if _, err := pool.Exec(context.Background(), `DO $$ BEGIN
		EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), 'luciapg fuzz');
	END $$`); err != nil {
		f.Fatal(err)
	}
	return luciapg.New(pool), pool
}

// FuzzIDs uses one string as user, key and session id in every method.
// A storable id round-trips exactly; any other is refused on write with
// ErrInvalidInput and reads as not found; nothing stays behind.
func FuzzIDs(f *testing.F) {
	for _, seed := range []string{
		"abc123xyz456def", "", "\x00", "a\x00b", "\xff", "\xc3", "ユーザー🙂", "'; DROP TABLE auth_user; --",
		`"`, "%s%n", " ", strings.Repeat("x", luciapg.MaxIDBytes), strings.Repeat("x", luciapg.MaxIDBytes+1),
		strings.Repeat("é", luciapg.MaxIDBytes/2), strings.Repeat("é", luciapg.MaxIDBytes/2) + "x",
	} {
		f.Add(seed)
	}
	store, pool := fuzzStore(f)
	f.Fuzz(func(t *testing.T, id string) {
		ctx := callContext(t)
		valid := storableID(id)
		expectWrite := func(op string, err error) {
			t.Helper()
			if valid && err != nil {
				t.Fatalf("%s of a storable id: %v", op, err)
			}
			if !valid && !errors.Is(err, luciapg.ErrInvalidInput) {
				t.Fatalf("%s of an unstorable id: got %v, want ErrInvalidInput", op, err)
			}
		}
		_, err := store.SetUser(ctx, luciapg.User{ID: id}, &luciapg.Key{ID: id, PrimaryKey: true, HashedPassword: &id})
		expectWrite("SetUser", err)
		expectWrite("SetSession", store.SetSession(ctx, luciapg.Session{ID: id, UserID: id, ActiveExpires: -1, IdleExpires: 1}))

		session, user, err := store.GetSessionAndUser(ctx, id)
		switch {
		case valid && (err != nil || session.ID != id || session.UserID != id || user.ID != id):
			t.Fatalf("GetSessionAndUser: ids round-trip %v, error %v", session.ID == id && user.ID == id, err)
		case !valid && !errors.Is(err, luciapg.ErrInvalidSessionID):
			t.Fatalf("GetSessionAndUser of an unstorable id: %v", err)
		}
		key, err := store.GetKey(ctx, id)
		switch {
		case valid && (err != nil || key.ID != id || key.UserID != id || *key.HashedPassword != id):
			t.Fatalf("GetKey: ids round-trip %v, error %v", key.ID == id, err)
		case !valid && !errors.Is(err, luciapg.ErrInvalidKeyID):
			t.Fatalf("GetKey of an unstorable id: %v", err)
		}
		keys, err := store.GetKeysByUserID(ctx, id)
		if err != nil || (len(keys) == 1) != valid {
			t.Fatalf("GetKeysByUserID: %d keys, error %v", len(keys), err)
		}
		if _, err := store.ConsumeKey(ctx, id); !errors.Is(err, luciapg.ErrInvalidKeyID) {
			t.Fatalf("ConsumeKey of a primary key or unstorable id: %v", err)
		}
		if err := store.DeleteUser(ctx, id); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
		if _, err := store.GetUser(ctx, id); !errors.Is(err, luciapg.ErrInvalidUserID) {
			t.Fatalf("GetUser after DeleteUser: %v", err)
		}
		if c := countAuthRows(t, pool); c != (rowCounts{}) {
			t.Fatalf("rows left behind: %+v", c)
		}
	})
}

// fuzzColumns are the attribute columns of the test databases and whether
// each may be NULL.
var fuzzColumns = map[string]bool{"username": true, "plan": false, "nickname": true}

// FuzzAttributes gives SetUser and UpdateUserAttributes a map of two
// fuzzed names to fuzzed values. Names are validated, then quoted: the
// outcome is ErrInvalidInput (a name or value luciapg refuses), PostgreSQL's
// "undefined column" (a name that is no column), or the values stored
// exactly — and whatever the name, the schema stays as it was.
func FuzzAttributes(f *testing.F) {
	f.Add("nickname", "nick", "plan", "pro")
	f.Add("username", "", "nickname", "\x00")
	f.Add(`nickname" = 'x' --`, "v", "plan", "p")
	f.Add("nickname; DROP TABLE auth_user; --", "v", "id", "x")
	f.Add(strings.Repeat("n", 63), "v", strings.Repeat("n", 64), "v")
	f.Add("ユーザー", "値", "Nickname", "\xff")
	f.Add("", "v", "plan", "p")
	store, pool := fuzzStore(f)
	schema := schemaFingerprint(f, pool)
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2 string) {
		ctx := callContext(t)
		attrs := map[string]any{name1: value1, name2: value2}
		refused, unknown := false, false
		for name, value := range attrs {
			refused = refused || name == "" || name == "id" || len(name) > 63 || !storableText(name) || !storableText(value.(string))
			_, known := fuzzColumns[name]
			unknown = unknown || !known
		}
		check := func(op string, got luciapg.User, err error) {
			t.Helper()
			var pgErr *pgconn.PgError
			switch {
			case refused:
				if !errors.Is(err, luciapg.ErrInvalidInput) {
					t.Fatalf("%s: got %v, want ErrInvalidInput", op, err)
				}
			case unknown:
				if !errors.As(err, &pgErr) || pgErr.Code != "42703" {
					t.Fatalf("%s: got %v, want undefined column (42703)", op, err)
				}
			case err != nil:
				t.Fatalf("%s: %v", op, err)
			default:
				for name, value := range attrs {
					if !reflect.DeepEqual(got.Attributes[name], value) {
						t.Fatalf("%s: attribute %q did not round-trip", op, name)
					}
				}
			}
		}
		id := "fuzz_" + randomText(10)
		got, err := store.SetUser(ctx, luciapg.User{ID: id, Attributes: attrs}, nil)
		check("SetUser", got, err)
		if err != nil {
			if _, err := store.SetUser(ctx, luciapg.User{ID: id}, nil); err != nil {
				t.Fatalf("SetUser without attributes: %v", err)
			}
		}
		got, err = store.UpdateUserAttributes(ctx, id, attrs)
		check("UpdateUserAttributes", got, err)
		if err := store.DeleteUser(ctx, id); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
		if c := countAuthRows(t, pool); c != (rowCounts{}) {
			t.Fatalf("rows left behind: %+v", c)
		}
		if got := schemaFingerprint(t, pool); got != schema {
			t.Fatalf("schema changed: %s", got)
		}
	})
}
