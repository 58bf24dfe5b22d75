package luciapg_test

import (
	"slices"
	"testing"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The Store scans the list queries' columns by position into Session and
// Key fields (store.go, GetSessionsByUserID and GetKeysByUserID). Reordering
// the SELECT in db/queries would swap values between fields of one type
// (id and user_id are both text) without a compile error; this test says so.
func TestListQueriesReturnTheColumnsTheStoreScans(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	for _, tt := range []struct {
		name string
		sql  string
		want []string // the order store.go scans them in
	}{
		{"GetSessionsByUserID", dbgen.GetSessionsByUserID, []string{"id", "user_id", "active_expires", "idle_expires"}},
		{"GetKeysByUserID", dbgen.GetKeysByUserID, []string{"id", "user_id", "primary_key", "hashed_password", "expires"}},
	} {
		rows, err := pool.Query(t.Context(), tt.sql, "nobody")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, field := range rows.FieldDescriptions() {
			got = append(got, field.Name)
		}
		rows.Close()
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s returns columns %v; the Store scans %v: change both together", tt.name, got, tt.want)
		}
	}
}
