package sessioncache

import (
	"maps"
	"reflect"
	"strconv"
	"testing"
)

// TestCachedAttributesCopies: whatever the number of attributes, inline
// or not, each copy equals what was cached, is a map of its own (a write
// into it reaches neither the entry nor the next copy), and a nil map
// stays nil while an empty one stays empty and usable.
func TestCachedAttributesCopies(t *testing.T) {
	sized := func(n int) map[string]any {
		m := make(map[string]any, n)
		for i := range n {
			m["column_"+strconv.Itoa(i)] = i
		}
		m["nullable"] = nil
		return m
	}
	for _, tc := range []struct {
		name       string
		attributes map[string]any
		inline     bool
	}{
		{"nil", nil, false},
		{"empty", map[string]any{}, true},
		{"one", map[string]any{"username": "alice"}, true},
		{"as many as fit", sized(inlineAttributes - 1), true},
		{"more than fit", sized(inlineAttributes), false},
	} {
		original := maps.Clone(tc.attributes)
		cached := newCachedAttributes(tc.attributes, false)
		if inline := cached.n >= 0; inline != tc.inline {
			t.Errorf("%s: kept inline %v, want %v", tc.name, inline, tc.inline)
		}
		first := cached.copy()
		if (first == nil) != (tc.attributes == nil) || !maps.Equal(first, original) {
			t.Fatalf("%s: copy %v, want %v", tc.name, first, original)
		}
		if first == nil {
			continue
		}
		first["username"] = "changed by the caller"
		tc.attributes["username"] = "changed by the Store's caller"
		second := cached.copy()
		if !maps.Equal(second, original) {
			t.Fatalf("%s: after writes into the first copy and the original, the next copy is %v, want %v", tc.name, second, original)
		}
		if reflect.ValueOf(first).UnsafePointer() == reflect.ValueOf(second).UnsafePointer() {
			t.Fatalf("%s: two copies are the same map", tc.name)
		}
	}
}

// TestCachedAttributesShared: with ShareAttributes the entry keeps one map
// of its own, not the Store's, and hands that same map out.
func TestCachedAttributesShared(t *testing.T) {
	attributes := map[string]any{"username": "alice"}
	cached := newCachedAttributes(attributes, true)
	attributes["username"] = "changed by the Store's caller"
	if cached.n != -1 || cached.m["username"] != "alice" {
		t.Fatalf("shared attributes %+v; want a map of the entry's own holding alice", cached)
	}
}
