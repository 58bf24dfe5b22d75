package replica

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestAttackRouterIdleWALSwitch: after pg_switch_wal() on an idle primary
// its insert position is past the new segment's page header, while a
// standby that has replayed everything stops at the segment boundary. A
// check then must find the standby fresh; otherwise a caught-up standby
// is dropped until the primary's next write, and every read goes to the
// primary meanwhile.
func TestAttackRouterIdleWALSwitch(t *testing.T) {
	t.Parallel()
	cluster := pgcluster.StartReplicated(t)
	ctx := context.Background()
	primary := testdb.Pool(t, cluster.Primary.URL("postgres"), 2)
	standby := testdb.Pool(t, cluster.Standby.URL("postgres"), 2)
	l := standbyLag{primary: primary, standby: standby, base: time.Now(), maxLag: int64(time.Minute)}

	position := func(sql string) (int64, error) {
		var lsn int64
		err := primary.QueryRow(ctx, sql).Scan(&lsn)
		return lsn, err
	}
	const insertSQL = "SELECT (pg_current_wal_insert_lsn() - '0/0')::int8"
	const segment = 16 << 20 // initdb's default, which pgcluster keeps
	switched := int64(-1)    // the primary's position just after the switch
	var checkedAt int64
	pgcluster.Eventually(t, "a check of the caught-up standby on the idle primary just after a switch", func() (bool, error) {
		p, err := position(insertSQL)
		if err != nil {
			return false, err
		}
		if p != switched || p%segment == 0 || p%segment > 40 {
			// First time, or the primary wrote since the switch (its
			// background writer logs now and then): commit something and
			// switch again.
			if _, err := primary.Exec(ctx, "SELECT txid_current()"); err != nil {
				return false, err
			}
			if _, err := primary.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
				return false, err
			}
			switched, err = position(insertSQL)
			return false, err
		}
		var replayed int64
		if err := standby.QueryRow(ctx, "SELECT (pg_last_wal_replay_lsn() - '0/0')::int8").Scan(&replayed); err != nil {
			return false, err
		}
		if replayed < p-p%segment {
			return false, nil // the standby has not replayed the switch yet
		}
		checkedAt = l.now()
		if err := l.check(ctx); err != nil {
			return false, err
		}
		after, err := position(insertSQL)
		return after == switched, err // else a write during the check: again
	})
	if fresh := l.freshAt.Load(); fresh < checkedAt {
		t.Fatalf("the standby had replayed all the idle primary's WAL (up to the segment switch), yet the check found it behind: fresh as of %v before the check",
			time.Duration(checkedAt-fresh))
	}
}
