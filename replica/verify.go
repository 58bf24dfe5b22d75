package replica

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// serverFacts is what never changes for the life of a connection, read
// once per connection and kept in its pgconn.PgConn.CustomData: the server
// behind a connection stays the same, and a server out of recovery never
// goes back into it without a restart, which ends the connection.
type serverFacts struct {
	id primaryID // tli is set only when not in recovery
	// recovery is whether the server was in recovery when the connection
	// was identified: a standby (or one promoted since, which the per-read
	// state shows).
	recovery bool
}

// factsKey is serverFacts' key in a connection's CustomData.
const factsKey = "github.com/luciapg/luciapg/replica.serverFacts"

// identifySQL reads a connection's serverFacts. pg_walfile_name fails
// during recovery, hence the CASE; its timeline is that of a server out of
// recovery.
const identifySQL = `SELECT s.system_identifier, pg_postmaster_start_time(), pg_is_in_recovery(),
	CASE WHEN pg_is_in_recovery() THEN 0
	ELSE ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int4 END
FROM pg_control_system() s`

// stateSQL is a standby connection's state, read just before each read it
// serves: still in recovery, how far it has replayed, and the timeline its
// WAL receiver is streaming (0 when it is not streaming). A server no
// longer in recovery has been promoted: pg_last_wal_replay_lsn() then
// stays where recovery ended, or is NULL after a restart, and means
// nothing. pg_stat_wal_receiver shows received_tli only to a role with
// the privileges of pg_read_all_stats: without them no standby qualifies.
const stateSQL = `SELECT pg_is_in_recovery(), coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8, -1),
	coalesce((SELECT received_tli FROM pg_stat_wal_receiver WHERE status = 'streaming'), 0)`

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
	// reads may go to (another cluster, a promoted copy, another primary):
	// the connection is closed rather than returned to the pool.
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
// answer is about the server that will serve the read. A connection
// qualifies when:
//
//   - its server is a copy of the primary (same system identifier), in
//     recovery, its WAL receiver streaming the primary's current timeline
//     (not a standby left following a former primary, nor one of another
//     promoted copy), and its replay position has reached a position the
//     primary had less than MaxLag ago; or
//   - its server is the primary itself, passed as its own standby, which
//     is never behind. A promoted copy has the same system identifier and
//     is not in recovery either: what tells them apart is the postmaster's
//     start time, to the microsecond, which is the server's own (a copy's
//     postmaster was started on its own, as a standby) and readable by any
//     role, unlike data_directory; the timeline, which a promotion
//     changes, is compared as well. Only copies of one standby promoted
//     independently and started within the same microsecond would share
//     both.
//
// An error is the connection or the server failing. A read does the same
// as identify, then judge on the state read in the read's own round trip
// (checkedDB).
func (l *standbyLag) verify(ctx context.Context, conn *pgxpool.Conn) (verdict, error) {
	pos, v, settled, err := l.identify(ctx, conn)
	if err != nil || settled {
		return v, err
	}
	var (
		recovery bool
		replay   int64
		tli      int32
	)
	if err := conn.QueryRow(ctx, stateSQL).Scan(&recovery, &replay, &tli); err != nil {
		return verdict{freshAs: -1}, err
	}
	return l.judge(pos, recovery, replay, tli), nil
}

// identify returns the primary's positions and conn's server's verdict
// when its serverFacts settle it (another cluster, the primary itself, a
// promoted copy, the primary not sampled yet); unsettled, the verdict
// depends on the standby's state now, for judge. The facts are read on
// conn's first use and kept with it.
func (l *standbyLag) identify(ctx context.Context, conn *pgxpool.Conn) (pos *positions, v verdict, settled bool, err error) {
	no := verdict{freshAs: -1}
	pos = l.last.Load()
	if pos == nil {
		return nil, no, true, nil
	}
	data := conn.Conn().PgConn().CustomData()
	facts, _ := data[factsKey].(*serverFacts)
	if facts == nil {
		facts = new(serverFacts)
		if err := conn.QueryRow(ctx, identifySQL).Scan(&facts.id.sysid, &facts.id.started, &facts.recovery, &facts.id.tli); err != nil {
			return pos, no, true, err
		}
		data[factsKey] = facts
	}
	switch {
	case facts.id.sysid != pos.id.sysid:
		no.foreign = true
		return pos, no, true, nil
	case facts.recovery:
		return pos, no, false, nil
	case !facts.id.started.Equal(pos.id.started) || facts.id.tli != pos.id.tli:
		no.foreign = true
		return pos, no, true, nil
	}
	// The primary itself: it holds everything, now.
	return pos, verdict{replaying: true, fresh: true, freshAs: l.now()}, true, nil
}

// judge returns the verdict on a standby connection (in recovery when
// identified) from its state, read just now with stateSQL.
func (l *standbyLag) judge(pos *positions, recovery bool, replay int64, tli int32) verdict {
	if !recovery {
		return verdict{freshAs: -1, foreign: true} // promoted since it was identified
	}
	if tli != pos.id.tli || replay < 0 {
		return verdict{freshAs: -1} // another timeline's history, or not streaming
	}
	// pos may be a little older than the state; a newer sample could only
	// show the standby fresher.
	return verdict{
		replaying: true,
		fresh:     pos.fresh(replay, l.now()-l.maxLag),
		freshAs:   pos.reached(replay),
	}
}
