package sessioncache

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/luciapg/luciapg/dbgen"

	"github.com/luciapg/luciapg/internal/connerr"
)

// changeLogTiming is how a Cache reads the change log. Entries are
// served only while a read of the log began within maxPollGap; a read that
// takes longer than pollTimeout counts as a lost connection. A cache
// announces itself to the triggers for leaseXids transaction ids past the
// newest it has seen, and renews once half of that is used. Rows are
// deleted once retention has passed since a snapshot that saw them
// committed: every cache still serving has read them by then (retention >
// maxPollGap), and one that has not starts over. All durations are on the
// cache's monotonic clock; nothing depends on the server's wall clock.
type changeLogTiming struct {
	maxPollGap, pollTimeout time.Duration
	retention, cleanup      time.Duration
	leaseXids               int64
}

var defaultChangeLogTiming = changeLogTiming{
	maxPollGap:  maxPollGap,
	pollTimeout: 2 * time.Second,
	retention:   30 * time.Second,
	cleanup:     10 * time.Second,
	leaseXids:   defaultLeaseXids,
}

// defaultLeaseXids is how many transaction ids a lease covers. Transaction
// ids, unlike the server's clock, never step; the cost is that once every
// cache is gone the triggers go on logging for up to this many
// transactions (server-wide), rows no cache deletes until one starts
// again. Half of it (524,288 ids) between two reads of the log, at most
// maxPollGap apart, would take over 100,000 writing transactions a second;
// a cache that sees that many starts over rather than miss a change.
const defaultLeaseXids = 1 << 20

// maxPollGap is the default: PollInterval's limit is checked against it.
const maxPollGap = 5 * time.Second

// maxPollChanges bounds the changes applied one by one from one read;
// more, and the cache drops everything.
const maxPollChanges = 10_000

// Reconnection backoff: it doubles from the first delay to the last while
// the server refuses.
const (
	reconnectFirst = 50 * time.Millisecond
	reconnectMax   = 5 * time.Second
)

// errPollGap ends a connection's reads when the log was not read for
// longer than maxPollGap (the process stalled): other caches may have
// deleted rows this one never read, and the triggers may have stopped
// logging.
var errPollGap = errors.New("the change log was not read for too long (the process stalled?)")

// errLeaseLapsed ends a connection's reads when transaction ids went past
// the cache's lease between two reads: the triggers of those transactions
// may not have logged their changes.
var errLeaseLapsed = errors.New("more transactions ran between two reads of the change log than its lease covers; starting over")

// follower is one connection's reading of the change log.
type follower struct {
	conn   *pgx.Conn
	q      *dbgen.Queries
	timing changeLogTiming
	// registered is the snapshot taken just after the cache announced
	// itself; since, the snapshot of the last read.
	registered, since string
	// leased is a lease (a transaction id) set before since was taken: a
	// transaction given its id after since logs its changes if that id is
	// below it. A read whose snapshot's xmax is above it may have missed
	// changes.
	leased int64
	// snapshots are (time, snapshot) samples for deleting read rows.
	snapshots []snapshotSample
	cleaned   time.Time
	// listening is true when the connection goes straight to PostgreSQL
	// and has asked for wake-ups (wakeup.go); through a pooler a LISTEN
	// would stay on a server connection that others are handed.
	listening bool
}

type snapshotSample struct {
	at       time.Time
	snapshot string
}

// connect opens the connection that reads the log, announces the cache to
// the triggers, and takes the snapshot the first read starts from.
func (c *Cache) connect(ctx context.Context) (*follower, error) {
	cfg, err := pgx.ParseConfig(c.cfg.ConnString)
	if err != nil {
		return nil, connerr.Explain(err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		// Lets an operator find it in pg_stat_activity.
		cfg.RuntimeParams["application_name"] = "luciapg session cache"
	}
	// Through a transaction pooler each statement may reach another server
	// connection, where pgx's default named prepared statements collide:
	// unnamed ones work everywhere, and a poll is one cheap statement.
	if cfg.DefaultQueryExecMode == pgx.QueryExecModeCacheStatement {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	// A timed-out read only interrupts the socket; the default handler
	// would also open a connection to send a cancel request.
	cfg.BuildContextWatcherHandler = func(pgConn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pgConn.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connerr.Explain(err)
	}
	f := &follower{conn: conn, q: dbgen.New(conn), timing: c.timing}
	if err := f.register(ctx); err != nil {
		conn.Close(context.Background())
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && (pgErr.Code == "42P01" || pgErr.Code == "42883") {
			return nil, fmt.Errorf("the database lacks the session cache's change log (%s): apply luciapg's migrations (Migrate, or luciapg migrate up)", pgErr.Message)
		}
		return nil, err
	}
	if err := f.listen(ctx); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return f, nil
}

// listen asks for wake-ups when the connection is PostgreSQL's own: a
// pooler gives its clients a made-up process id, so the one announced at
// startup differs from the server process running the statement.
func (f *follower) listen(ctx context.Context) error {
	pid, err := f.q.SessionCacheBackendPID(ctx)
	if err != nil {
		return err
	}
	if uint32(pid) != f.conn.PgConn().PID() {
		return nil
	}
	if err := f.q.ListenSessionCacheWakeups(ctx); err != nil {
		return err
	}
	f.listening = true
	return nil
}

// register announces the cache, then takes the snapshot: a transaction
// that missed the announcement was running when the snapshot was taken,
// and the cache waits for it.
func (f *follower) register(ctx context.Context) error {
	leased, err := f.q.RenewSessionCacheLease(ctx, f.timing.leaseXids)
	if err != nil {
		return err
	}
	snapshot, err := f.q.SessionCacheSnapshot(ctx)
	if err != nil {
		return err
	}
	f.registered, f.since, f.leased = snapshot, snapshot, leased
	return nil
}

// snapshotXmax is the xmax of a snapshot in pg_snapshot's text form
// (xmin:xmax:xip,...): the first transaction id not yet assigned when it
// was taken.
func snapshotXmax(snapshot string) (int64, error) {
	_, rest, _ := strings.Cut(snapshot, ":")
	xmax, _, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(xmax, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("the server returned a snapshot %q this cache cannot read", snapshot)
	}
	return n, nil
}

// run reads the log until ctx ends, reconnecting whenever reading fails.
// While it fails, the cache bypasses its memory.
func (c *Cache) run(ctx context.Context, f *follower) {
	defer close(c.stopped)
	for {
		err := c.follow(ctx, f)
		f.conn.Close(context.Background())
		c.setServing(false)
		if ctx.Err() != nil {
			c.cfg.Logger.Info("luciapg session cache: closed")
			return
		}
		c.cfg.Logger.Warn("luciapg session cache: cannot read the change log; reading through to the luciapg.Store until it can",
			"error", connerr.FirstLine(err))
		if f = c.reconnect(ctx); f == nil {
			c.cfg.Logger.Info("luciapg session cache: closed")
			return
		}
		c.stats.reconnects.Add(1)
		c.cfg.Logger.Info("luciapg session cache: reading the change log again; dropped every entry, since changes may have been missed")
	}
}

// follow reads the log every PollInterval, or sooner when woken
// (wakeup.go), until a read fails or ctx ends.
func (c *Cache) follow(ctx context.Context, f *follower) error {
	var last time.Time
	for {
		start := time.Now()
		if !last.IsZero() && start.Sub(last) > c.timing.maxPollGap {
			return errPollGap
		}
		if err := c.pollOnce(ctx, f, start); err != nil {
			return err
		}
		last = start
		if err := c.waitForPoll(ctx, f, start); err != nil {
			return err
		}
	}
}

// pollOnce reads and applies what committed since the last read, starts
// serving once no transaction that may have missed the announcement is
// left, and renews the announcement and deletes read rows when due.
func (c *Cache) pollOnce(ctx context.Context, f *follower, start time.Time) error {
	pollCtx, cancel := context.WithTimeout(ctx, f.timing.pollTimeout)
	defer cancel()
	sinceXmax, err := snapshotXmax(f.since)
	if err != nil {
		return err
	}
	// Renewed before this read's snapshot, so the next read may count on
	// it; this read counts on the lease set before the last one.
	leased := f.leased
	if sinceXmax+f.timing.leaseXids/2 >= f.leased {
		if leased, err = f.q.RenewSessionCacheLease(pollCtx, f.timing.leaseXids); err != nil {
			return err
		}
	}
	row, err := f.q.PollSessionCacheChanges(pollCtx, dbgen.PollSessionCacheChangesParams{
		Since: f.since, MaxRows: maxPollChanges + 1, Registered: f.registered,
	})
	if err != nil {
		return err
	}
	xmax, err := snapshotXmax(row.Snapshot)
	if err != nil {
		return err
	}
	if xmax > f.leased {
		// A transaction that began after the last read may have an id
		// at or past the lease it saw, and logged nothing.
		return errLeaseLapsed
	}
	if len(row.Payloads) > maxPollChanges {
		// A mass change: dropping everything is cheaper and as correct.
		c.flush(&c.stats.evictedFlushed)
	} else {
		for _, payload := range row.Payloads {
			c.apply(payload)
		}
	}
	f.since, f.leased = row.Snapshot, leased
	c.stats.polls.Add(1)
	c.markPolled(start)
	if !row.Waiting && !c.serving.Load() {
		c.setServing(true)
		c.cfg.Logger.Info("luciapg session cache: serving from memory")
	}
	if err := f.deleteReadRows(pollCtx, start); err != nil {
		return err
	}
	if c.hooks.afterPoll != nil {
		c.hooks.afterPoll()
	}
	return nil
}

// deleteReadRows keeps a snapshot every tenth of the cleanup interval
// and, every cleanup interval, deletes the rows of the transactions that
// had ended when the newest snapshot at least retention old was taken.
func (f *follower) deleteReadRows(ctx context.Context, now time.Time) error {
	if n := len(f.snapshots); n == 0 || now.Sub(f.snapshots[n-1].at) >= f.timing.cleanup/10 {
		f.snapshots = append(f.snapshots, snapshotSample{at: now, snapshot: f.since})
	}
	if now.Sub(f.cleaned) < f.timing.cleanup {
		return nil
	}
	old := -1
	for i, s := range f.snapshots {
		if now.Sub(s.at) >= f.timing.retention {
			old = i
		}
	}
	if old < 0 {
		return nil
	}
	if _, err := f.q.DeleteSessionCacheChanges(ctx, f.snapshots[old].snapshot); err != nil {
		return err
	}
	f.snapshots = f.snapshots[old+1:]
	f.cleaned = now
	return nil
}

// reconnect retries connect with backoff until it succeeds (the follower)
// or ctx ends (nil).
func (c *Cache) reconnect(ctx context.Context) *follower {
	delay := reconnectFirst
	for {
		f, err := c.connect(ctx)
		if err == nil {
			return f
		}
		if ctx.Err() != nil {
			return nil
		}
		c.cfg.Logger.Warn("luciapg session cache: reconnecting failed", "error", connerr.FirstLine(err), "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, reconnectMax)
	}
}

// apply evicts what one logged change names. A payload it does not
// understand drops everything: better a miss than a stale read.
func (c *Cache) apply(payload string) {
	kind, hexKey, _ := strings.Cut(payload, ":")
	var key cacheKey
	valid := len(hexKey) == hex.EncodedLen(len(key))
	if valid {
		_, err := hex.Decode(key[:], []byte(hexKey))
		valid = err == nil
	}
	switch {
	case payload == "*":
		c.flush(&c.stats.evictedFlushed)
	case kind == "s" && valid:
		c.evictSession(key, &c.stats.evictedLogged)
	case kind == "u" && valid:
		c.evictUser(key, &c.stats.evictedLogged)
	default:
		c.cfg.Logger.Warn("luciapg session cache: unknown change in the log; dropped every entry", "payload_bytes", len(payload))
		c.flush(&c.stats.evictedFlushed)
	}
	if c.hooks.afterChange != nil {
		c.hooks.afterChange(payload)
	}
}
