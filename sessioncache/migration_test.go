package sessioncache_test

import (
	"context"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestListsByUserNeedNoSort: with the (user_id, id) indexes of migration
// 20261202000000, an index scan returns a user's sessions and keys in id
// order, so the plans of GetSessionsByUserID and GetKeysByUserID need no
// sort node.
func TestListsByUserNeedNoSort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tx := testdb.Tx(t)
	for _, sql := range []string{
		`INSERT INTO auth_user (id) SELECT 'user-' || g FROM generate_series(1, 4000) AS g`,
		`INSERT INTO auth_session SELECT 'session-' || g, 'user-' || (g % 4000 + 1), 0, 0 FROM generate_series(1, 20000) AS g`,
		`INSERT INTO auth_key SELECT 'email:' || g, 'user-' || (g % 4000 + 1), false, NULL, NULL FROM generate_series(1, 20000) AS g`,
		`ANALYZE auth_user, auth_session, auth_key`,
		// For a handful of rows scattered over the heap the planner may
		// still prefer a bitmap scan and sort them (a trivial sort); with
		// bitmap scans off it shows what the index gives: with (user_id)
		// alone an index scan under a sort, with (user_id, id) no sort.
		`SET LOCAL enable_bitmapscan = off`,
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, tc := range []struct{ query, index string }{
		{dbgen.GetSessionsByUserID, "auth_session_user_id_idx"},
		{dbgen.GetKeysByUserID, "auth_key_user_id_idx"},
	} {
		rows, err := tx.Query(ctx, "EXPLAIN "+tc.query, "user-7")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Sort") || !strings.Contains(text, "Index Scan using "+tc.index) {
			t.Errorf("want an index scan on %s and no sort:\n%s", tc.index, text)
		}
	}
}
