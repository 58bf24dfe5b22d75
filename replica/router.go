// Package replica routes a request's hot-path reads to a streaming standby
// while its lag stays below a bound, and everything else to the primary:
// see Router. New starts its lag checks, Close stops them.
package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

// Config tunes a Router. The zero value is the defaults.
type Config struct {
	// MaxLag is how stale the standby may be and still serve reads
	// (default 1 s): a read goes to the standby only while it is known to
	// hold everything committed on the primary more than MaxLag ago. It
	// bounds how long a deleted session (a logout, a revocation) or a
	// changed password hash can still be read as it was (plus the time the
	// read itself takes).
	MaxLag time.Duration
	// CheckInterval is how often the primary's WAL position is sampled
	// and a standby connection checked (default MaxLag / 4); it must be
	// below MaxLag, or a standby would turn stale between two samples.
	CheckInterval time.Duration
	// StandbyTimeout bounds a read or a measurement on the standby
	// (default 1 s): a standby that does not answer in time is treated as
	// failed, the read goes to the primary.
	StandbyTimeout time.Duration
	// RetryAfter is how long a standby that failed is left alone before it
	// is used again (default 1 s); the lag checks go on meanwhile.
	RetryAfter time.Duration
}

// withDefaults fills in zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.MaxLag < 0 || c.CheckInterval < 0 || c.StandbyTimeout < 0 || c.RetryAfter < 0 {
		return c, fmt.Errorf("%w: replica: MaxLag, CheckInterval, StandbyTimeout and RetryAfter must not be negative", luciapg.ErrInvalidConfig)
	}
	if c.MaxLag == 0 {
		c.MaxLag = time.Second
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = c.MaxLag / 4
	}
	if c.StandbyTimeout == 0 {
		c.StandbyTimeout = time.Second
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Second
	}
	if c.CheckInterval >= c.MaxLag {
		return c, fmt.Errorf("%w: replica: CheckInterval (%v) must be below MaxLag (%v)", luciapg.ErrInvalidConfig, c.CheckInterval, c.MaxLag)
	}
	return c, nil
}

// Router is a luciapg.ThrottlingAdapter over a primary and a streaming
// standby of it: it sends the reads of a request's hot path — GetSession,
// GetSessionAndUser, GetUser, GetKey and GetKeysByUserID — to the standby,
// and everything else to the primary: writes, ExtendSession, ConsumeKey,
// the throttle, GetSessionsByUserID (a list cannot tell a missing row
// from a late one), and every call of luciapg.FactorAdapter (factors.go).
//
//   - A read the standby does not find (a session created a moment ago
//     that has not arrived) is asked of the primary.
//   - A read is served by a connection of the standby pool only when that
//     connection, checked in the read's own round trip just before the
//     read's statement, is a standby of this primary (same system
//     identifier, in recovery, streaming the primary's current timeline)
//     that has replayed a WAL position the primary had less than MaxLag
//     ago (sampled every CheckInterval), or the primary itself; otherwise
//     the read goes to the primary. So a promoted copy of the primary
//     never serves a read, nor does a member of a load-balanced endpoint
//     that is not itself a fresh standby, whichever member the lag check
//     reached; and a deleted session is accepted for at most MaxLag after
//     its deletion committed: the Router is a luciapg.StaleReader whose
//     MaxStaleness is MaxLag, which a session cache over it takes into
//     account.
//   - The standby's role needs the privileges of pg_read_all_stats (for
//     pg_stat_wal_receiver's timeline), or no standby qualifies: New
//     refuses a standby that answers without them.
//   - A standby that fails or does not answer within StandbyTimeout is
//     skipped: the read is answered by the primary with no error, and the
//     standby is tried again after RetryAfter.
//
// auth.New and sessioncache.New work on it as on a Store. New starts its
// lag checks, Close stops them.
type Router struct {
	// primary serves every call the Router does not route itself.
	primary
	// primaryStore is primary's Store, for the calls of factors.go.
	primaryStore *luciapg.Store
	standbyPool  *pgxpool.Pool
	cfg          Config
	lag          standbyLag

	standbyReads, standbyMisses, fallbacks, primaryReads, refused, checks atomic.Int64

	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// primary is the Store on the primary, embedded under a name of its own
// so that only the contract's methods are promoted.
type primary = luciapg.ThrottlingAdapter

var (
	_ luciapg.ThrottlingAdapter = (*Router)(nil)
	_ luciapg.StaleReader       = (*Router)(nil)
)

// New returns a router over the pools of a primary and of a streaming
// standby of it, and starts measuring the standby's lag; reads go to the
// primary until the first measurement. Passing the primary's own pool (or
// another pool on the primary server) as standby is allowed: its lag is
// zero. Close it when done; it does not
// close the pools. An invalid cfg is an error wrapping
// luciapg.ErrInvalidConfig.
func New(primaryPool, standbyPool *pgxpool.Pool, cfg Config) (*Router, error) {
	if primaryPool == nil || standbyPool == nil {
		return nil, fmt.Errorf("%w: replica: the primary's and the standby's pools must not be nil", luciapg.ErrInvalidConfig)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkStandbyRole(standbyPool, cfg.StandbyTimeout); err != nil {
		return nil, err
	}
	store := luciapg.New(primaryPool)
	r := &Router{
		primary:      store,
		primaryStore: store,
		standbyPool:  standbyPool,
		cfg:          cfg,
		lag:          standbyLag{primary: primaryPool, standby: standbyPool, base: time.Now(), maxLag: int64(cfg.MaxLag)},
		stop:         make(chan struct{}),
	}
	r.done.Add(1)
	go r.measure()
	return r, nil
}

// Close stops the lag checks; reads then all go to the primary. It does
// not close the pools. It returns nil and is safe to call more than once.
func (r *Router) Close() error {
	r.once.Do(func() { close(r.stop) })
	r.done.Wait()
	r.lag.markDown(time.Duration(1<<62 - 1))
	return nil
}

// MaxStaleness implements luciapg.StaleReader: a read is at most MaxLag
// behind the primary.
func (r *Router) MaxStaleness() time.Duration { return r.cfg.MaxLag }

// measure checks the lag every CheckInterval until Close.
func (r *Router) measure() {
	defer r.done.Done()
	ticker := time.NewTicker(r.cfg.CheckInterval)
	defer ticker.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StandbyTimeout)
		err := r.lag.check(ctx)
		cancel()
		r.checks.Add(1)
		if err != nil {
			r.lag.markDown(r.cfg.RetryAfter)
		}
		select {
		case <-r.stop:
			return
		case <-ticker.C:
		}
	}
}

// Stats counts where a Router's reads went.
type Stats struct {
	// StandbyReads were answered by the standby.
	StandbyReads int64
	// StandbyMisses found nothing on the standby and were asked of the
	// primary.
	StandbyMisses int64
	// Fallbacks failed on the standby and were answered by the primary.
	Fallbacks int64
	// PrimaryReads went straight to the primary: the standby was too
	// stale, not a standby of this primary, resting after a failure, or
	// not yet measured.
	PrimaryReads int64
	// Refused were answered by the primary because the standby connection
	// that would have served them, checked just before, was not a fresh
	// standby of this primary (behind a load balancer, another member
	// than the one the last check measured).
	Refused int64
	// Checks counts the lag checks done, failed ones included.
	Checks int64
	// Usable says whether the standby serves reads now: the last check
	// found a standby of this primary (or the primary itself) within
	// MaxLag, and it is not resting after a failure. Each read checks its
	// own connection again.
	Usable bool
	// Staleness is how old the newest state known to be on the standby
	// is; Measured is false before the first measurement.
	Staleness time.Duration
	Measured  bool
}

// Stats returns the counts so far and the standby's current state.
func (r *Router) Stats() Stats {
	stale, measured := r.lag.staleness()
	return Stats{
		StandbyReads:  r.standbyReads.Load(),
		StandbyMisses: r.standbyMisses.Load(),
		Fallbacks:     r.fallbacks.Load(),
		PrimaryReads:  r.primaryReads.Load(),
		Refused:       r.refused.Load(),
		Checks:        r.checks.Load(),
		Usable:        r.lag.usable(r.cfg.MaxLag),
		Staleness:     stale,
		Measured:      measured,
	}
}

// routeRead runs read on a connection of the standby pool when the
// standby is usable and that connection, checked just before, is a fresh
// standby of this primary; on the primary when it is not, when the
// standby's answer is a miss, or when the standby fails. Only the caller's
// own cancellation ends it with the standby's error.
func routeRead[T any](ctx context.Context, r *Router, read func(context.Context, luciapg.Adapter) (T, error), miss func(T, error) bool) (T, error) {
	if !r.lag.usable(r.cfg.MaxLag) {
		r.primaryReads.Add(1)
		return read(ctx, r.primary)
	}
	standbyCtx, cancel := context.WithTimeout(ctx, r.cfg.StandbyTimeout)
	v, served, err := readStandby(standbyCtx, r, read)
	cancel()
	switch {
	case !served && err == nil:
		r.refused.Add(1)
		return read(ctx, r.primary)
	case served && miss(v, err):
		r.standbyMisses.Add(1)
	case served && (err == nil || errors.Is(err, luciapg.ErrInvalidInput)):
		// ErrInvalidInput is refused before any SQL: the primary would
		// refuse it the same way.
		r.standbyReads.Add(1)
		return v, err
	case ctx.Err() != nil:
		return v, err
	default:
		r.fallbacks.Add(1)
		r.lag.markDown(r.cfg.RetryAfter)
	}
	return read(ctx, r.primary)
}

// readStandby acquires a connection of the standby pool and runs read on
// it, the connection's state checked in the read's first round trip
// (checkedDB). served is false when read's answer was not used: the
// connection did not qualify (err nil) or failed before the read (err).
func readStandby[T any](ctx context.Context, r *Router, read func(context.Context, luciapg.Adapter) (T, error)) (v T, served bool, err error) {
	conn, err := r.standbyPool.Acquire(ctx)
	if err != nil {
		return v, false, err
	}
	pos, facts, refusal, settled, err := r.lag.identify(ctx, conn)
	if err != nil || settled {
		refusal.release(conn)
		return v, false, err
	}
	db := &checkedDB{conn: conn, lag: &r.lag, pos: pos, facts: facts}
	got, err := read(ctx, luciapg.New(db))
	db.verdict.release(conn)
	if errors.Is(err, errNotFresh) {
		return v, false, nil
	}
	return got, true, err
}

// missing returns the miss test of a single-row read, whose miss is
// notFound.
func missing[T any](notFound error) func(T, error) bool {
	return func(_ T, err error) bool { return errors.Is(err, notFound) }
}

// GetSession implements luciapg.SessionAdapter on the standby, falling back to the
// primary.
func (r *Router) GetSession(ctx context.Context, sessionID string) (luciapg.Session, error) {
	return routeRead(ctx, r, func(ctx context.Context, s luciapg.Adapter) (luciapg.Session, error) {
		return s.GetSession(ctx, sessionID)
	}, missing[luciapg.Session](luciapg.ErrInvalidSessionID))
}

// sessionAndUser is GetSessionAndUser's two results, for routeRead.
type sessionAndUser struct {
	session luciapg.Session
	user    luciapg.User
}

// GetSessionAndUser implements luciapg.Adapter on the standby, falling back to the
// primary.
func (r *Router) GetSessionAndUser(ctx context.Context, sessionID string) (luciapg.Session, luciapg.User, error) {
	v, err := routeRead(ctx, r, func(ctx context.Context, s luciapg.Adapter) (sessionAndUser, error) {
		session, user, err := s.GetSessionAndUser(ctx, sessionID)
		return sessionAndUser{session, user}, err
	}, missing[sessionAndUser](luciapg.ErrInvalidSessionID))
	return v.session, v.user, err
}

// GetUser implements luciapg.UserAdapter on the standby, falling back to the
// primary.
func (r *Router) GetUser(ctx context.Context, userID string) (luciapg.User, error) {
	return routeRead(ctx, r, func(ctx context.Context, s luciapg.Adapter) (luciapg.User, error) {
		return s.GetUser(ctx, userID)
	}, missing[luciapg.User](luciapg.ErrInvalidUserID))
}

// GetKey implements luciapg.UserAdapter on the standby, falling back to the
// primary.
func (r *Router) GetKey(ctx context.Context, keyID string) (luciapg.Key, error) {
	return routeRead(ctx, r, func(ctx context.Context, s luciapg.Adapter) (luciapg.Key, error) {
		return s.GetKey(ctx, keyID)
	}, missing[luciapg.Key](luciapg.ErrInvalidKeyID))
}

// GetKeysByUserID implements luciapg.UserAdapter on the standby; no keys there (a
// user created a moment ago) is asked of the primary.
func (r *Router) GetKeysByUserID(ctx context.Context, userID string) ([]luciapg.Key, error) {
	return routeRead(ctx, r, func(ctx context.Context, s luciapg.Adapter) ([]luciapg.Key, error) {
		return s.GetKeysByUserID(ctx, userID)
	}, func(keys []luciapg.Key, err error) bool { return err == nil && len(keys) == 0 })
}

// checkStandbyRole refuses a standby whose role cannot see which timeline
// it replays (pg_stat_wal_receiver shows it only to roles with the
// privileges of pg_read_all_stats): no read would ever go to it, and
// nothing would say why. A standby that does not answer within timeout is
// not checked here: each read checks its connection anyway.
func checkStandbyRole(standbyPool *pgxpool.Pool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var blind bool
	var role string
	err := standbyPool.QueryRow(ctx, `SELECT pg_is_in_recovery() AND NOT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), current_user`).Scan(&blind, &role)
	if err != nil || !blind {
		return nil
	}
	name := role
	if !plainIdentifier(role) {
		name = pgx.Identifier{role}.Sanitize()
	}
	return fmt.Errorf("%w: replica: the standby's role %s cannot see which timeline the standby replays, so no read would go to it; run GRANT pg_read_all_stats TO %s on the primary",
		luciapg.ErrInvalidConfig, name, name)
}

// plainIdentifier reports a name SQL takes unquoted, as it is.
func plainIdentifier(name string) bool {
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return name != ""
}
