package replica

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// serverFacts identify the server behind a connection: read on its first
// use and kept in its pgconn.PgConn.CustomData, since a connection reaches
// one server for life. The per-read state repeats the start time, so that
// a connection that reaches another server all the same (a pooler in front
// of several) is caught.
type serverFacts struct {
	sysid   int64
	started time.Time
}

// factsKey is serverFacts' key in a connection's CustomData.
const factsKey = "github.com/luciapg/luciapg/replica.serverFacts"

// identifySQL reads a connection's serverFacts. pg_control_system() reads
// the control file, so it runs once per connection, not per read.
const identifySQL = `SELECT system_identifier, pg_postmaster_start_time() FROM pg_control_system()`

// stateSQL is a connection's state, read in the round trip of each read it
// may serve: in recovery or not, the postmaster's start time, how far it
// has replayed, and its timeline: in recovery, the one its WAL receiver is
// streaming (0 when it is not streaming); out of it, its own. A server no
// longer in recovery is a primary (the primary itself, or a promoted copy):
// its pg_last_wal_replay_lsn() stays where recovery ended, or is NULL
// after a restart, and means nothing. pg_stat_wal_receiver shows
// received_tli only to a role with the privileges of pg_read_all_stats:
// without them no standby qualifies. pg_walfile_name fails during
// recovery, hence the CASE.
const stateSQL = `SELECT pg_is_in_recovery(), pg_postmaster_start_time(),
	coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8, -1),
	CASE WHEN pg_is_in_recovery()
	THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver WHERE status = 'streaming'), 0)
	ELSE ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int4 END`

// connState is stateSQL's row.
type connState struct {
	recovery bool
	started  time.Time
	replay   int64
	tli      int32
}

// scan reads stateSQL's row.
func (s *connState) scan(row pgx.Row) error {
	return row.Scan(&s.recovery, &s.started, &s.replay, &s.tli)
}

// verdict is what verify found of one connection at one moment.
type verdict struct {
	// replaying: the connection's server is a standby replaying this
	// primary's timeline, or the primary itself.
	replaying bool
	// fresh: replaying, and it has replayed a position the primary had
	// less than MaxLag ago. Only then may it serve a read.
	fresh bool
	// freshAs is when (nanoseconds since base) the newest state it holds
	// was current on the primary; -1 if unknown.
	freshAs int64
	// foreign: the server is not, and never will be, one this primary's
	// reads may go to (another cluster, a promoted copy, another primary),
	// or not the one identified: the connection is closed rather than
	// returned to the pool.
	foreign bool
}

// release returns conn to its pool, or closes it when foreign, so that
// the pool opens another (behind a load balancer, maybe to a standby).
func (v verdict) release(conn *pgxpool.Conn) {
	if !v.foreign {
		conn.Release()
		return
	}
	c := conn.Hijack()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// verify tells whether conn, a connection of the standby pool, may serve
// a read now; it runs on conn itself, so that behind a load balancer the
// answer is about the server that will serve the read. A read does the
// same, identify then judge, with the state read in the read's own round
// trip (checkedDB). An error is the connection or the server failing.
func (l *standbyLag) verify(ctx context.Context, conn *pgxpool.Conn) (verdict, error) {
	pos, facts, v, settled, err := l.identify(ctx, conn)
	if err != nil || settled {
		return v, err
	}
	var st connState
	if err := st.scan(conn.QueryRow(ctx, stateSQL)); err != nil {
		return verdict{freshAs: -1}, err
	}
	return l.judge(pos, facts, st), nil
}

// identify returns the primary's positions and conn's serverFacts, or the
// verdict when those settle it: the primary not sampled yet, or a server
// of another cluster.
func (l *standbyLag) identify(ctx context.Context, conn *pgxpool.Conn) (pos *positions, facts *serverFacts, v verdict, settled bool, err error) {
	no := verdict{freshAs: -1}
	pos = l.last.Load()
	if pos == nil {
		return nil, nil, no, true, nil
	}
	data := conn.Conn().PgConn().CustomData()
	facts, _ = data[factsKey].(*serverFacts)
	if facts == nil {
		facts = new(serverFacts)
		if err := conn.QueryRow(ctx, identifySQL).Scan(&facts.sysid, &facts.started); err != nil {
			return pos, nil, no, true, err
		}
		data[factsKey] = facts
	}
	if facts.sysid != pos.id.sysid {
		no.foreign = true
		return pos, facts, no, true, nil
	}
	return pos, facts, no, false, nil
}

// judge returns the verdict on a connection of a server with the
// primary's system identifier (facts), from its state read just now. It
// qualifies when:
//
//   - its server is in recovery, its WAL receiver streaming the primary's
//     current timeline (not a standby left following a former primary,
//     nor one of another promoted copy), and its replay position has
//     reached a position the primary had less than MaxLag ago; or
//   - its server is the primary itself, passed as its own standby, which
//     is never behind. A promoted copy has the same system identifier and
//     is not in recovery either: what tells them apart is the postmaster's
//     start time, to the microsecond, which is the server's own (a copy's
//     postmaster was started on its own, as a standby, and a restart
//     changes it) and readable by any role, unlike data_directory; the
//     timeline, which a promotion changes, must match as well. Only copies
//     of one standby promoted independently and started within the same
//     microsecond would share both.
func (l *standbyLag) judge(pos *positions, facts *serverFacts, st connState) verdict {
	no := verdict{freshAs: -1}
	switch {
	case !st.started.Equal(facts.started):
		no.foreign = true // not the server identified: identify again
		return no
	case !st.recovery:
		if !st.started.Equal(pos.id.started) || st.tli != pos.id.tli {
			no.foreign = true // another primary: a promoted copy
			return no
		}
		// The primary itself: it holds everything, now.
		return verdict{replaying: true, fresh: true, freshAs: l.now()}
	case st.tli != pos.id.tli || st.replay < 0:
		return no // another timeline's history, or not streaming
	}
	// pos may be a little older than the state; a newer sample could only
	// show the standby fresher.
	return verdict{
		replaying: true,
		fresh:     pos.fresh(st.replay, l.now()-l.maxLag),
		freshAs:   pos.reached(st.replay),
	}
}
