package memadapter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/memadapter"
)

func TestColumnConstraints(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := memadapter.New(
		memadapter.Column{Name: "email", NotNull: true, Unique: true}, // no default: must be given
		memadapter.Column{Name: "plan", NotNull: true, Default: "free"},
		memadapter.Column{Name: "nickname", Unique: true},
	)
	tests := []struct {
		name  string
		attrs map[string]any
		want  error
	}{
		{"NOT NULL column without a default left out", map[string]any{}, memadapter.ErrNotNull},
		{"NOT NULL column set to nil", map[string]any{"email": "a@example.com", "plan": nil}, memadapter.ErrNotNull},
		{"unknown column", map[string]any{"email": "a@example.com", "age": 3}, memadapter.ErrUnknownColumn},
		{"id as an attribute", map[string]any{"email": "a@example.com", "id": "x"}, luciapg.ErrInvalidInput},
	}
	for _, tt := range tests {
		_, err := a.SetUser(ctx, luciapg.User{ID: "u-" + tt.name, Attributes: tt.attrs}, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("SetUser with %s: got %v, want %v", tt.name, err, tt.want)
		}
		if _, err := a.GetUser(ctx, "u-"+tt.name); !errors.Is(err, luciapg.ErrInvalidUserID) {
			t.Errorf("SetUser with %s left a user behind", tt.name)
		}
	}

	first, err := a.SetUser(ctx, luciapg.User{ID: "u1", Attributes: map[string]any{"email": "a@example.com"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Attributes["plan"] != "free" || first.Attributes["nickname"] != nil || len(first.Attributes) != 3 {
		t.Fatalf("SetUser = %+v, want every column, defaults filled in", first)
	}
	// NULLs never collide in a UNIQUE column; values do.
	if _, err := a.SetUser(ctx, luciapg.User{ID: "u2", Attributes: map[string]any{"email": "b@example.com"}}, nil); err != nil {
		t.Fatalf("a second NULL nickname: %v", err)
	}
	key := luciapg.Key{ID: "email:c@example.com", PrimaryKey: true}
	_, err = a.SetUser(ctx, luciapg.User{ID: "u3", Attributes: map[string]any{"email": "a@example.com"}}, &key)
	var dup *luciapg.Error
	if !errors.Is(err, luciapg.ErrDuplicateAttribute) || !errors.As(err, &dup) || dup.Column() != "email" || strings.Contains(err.Error(), "a@example.com") {
		t.Fatalf("SetUser with a taken email: %v; want ErrDuplicateAttribute naming the column email, without the value", err)
	}
	if _, err := a.GetKey(ctx, key.ID); !errors.Is(err, luciapg.ErrInvalidKeyID) {
		t.Fatal("a SetUser refused for its attributes left its key behind")
	}
	// A user's own value does not collide with itself on update.
	if _, err := a.UpdateUserAttributes(ctx, "u1", map[string]any{"email": "a@example.com", "nickname": "ada"}); err != nil {
		t.Fatalf("UpdateUserAttributes to its own email: %v", err)
	}
	if _, err := a.UpdateUserAttributes(ctx, "u2", map[string]any{"nickname": "ada"}); !errors.Is(err, luciapg.ErrDuplicateAttribute) {
		t.Fatalf("UpdateUserAttributes to a taken nickname: %v, want ErrDuplicateAttribute", err)
	}
	got, err := a.GetUser(ctx, "u2")
	if err != nil || got.Attributes["nickname"] != nil {
		t.Fatalf("a refused update changed the row: %+v, %v", got, err)
	}
}

// Rows handed out are copies: changing them changes nothing stored.
func TestReturnedRowsAreCopies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := memadapter.New(memadapter.Column{Name: "nickname"})
	hash := "HASHED"
	key := luciapg.Key{ID: "email:a@example.com", HashedPassword: &hash}
	user, err := a.SetUser(ctx, luciapg.User{ID: "u1", Attributes: map[string]any{"nickname": "ada"}}, &key)
	if err != nil {
		t.Fatal(err)
	}
	user.Attributes["nickname"] = "changed"
	hash = "changed"
	got, err := a.GetKey(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	*got.HashedPassword = "changed again"
	stored, err := a.GetUser(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.GetKey(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Attributes["nickname"] != "ada" || *again.HashedPassword != "HASHED" || again.UserID != "u1" {
		t.Fatalf("stored rows changed through returned values: %+v, %+v", stored, again)
	}
}

func TestNewRefusesBadColumnDeclarations(t *testing.T) {
	t.Parallel()
	for name, columns := range map[string][]memadapter.Column{
		"empty name": {{Name: ""}},
		"id":         {{Name: "id"}},
		"repeated":   {{Name: "plan"}, {Name: "plan", Default: "free"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New with a column declaration error (%s) did not panic", name)
				}
			}()
			memadapter.New(columns...)
		}()
	}
}
