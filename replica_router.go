package luciapg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ReplicaConfig tunes a ReplicaRouter. The zero value is the defaults.
type ReplicaConfig struct {
	// MaxLag is how stale a replica may be and still serve reads (default
	// 1 s): a read goes to the replica only while it is known to hold
	// everything committed on the primary more than MaxLag ago. It bounds
	// how long a deleted session (a logout, a revocation) or a changed
	// password hash can still be read as it was (plus the time the read
	// itself takes).
	MaxLag time.Duration
	// CheckInterval is how often the replica's lag is measured (default
	// MaxLag / 4); it must be below MaxLag, or a replica would turn stale
	// between two measurements.
	CheckInterval time.Duration
	// ReplicaTimeout bounds a read or a measurement on the replica (default
	// 1 s): a replica that does not answer in time is treated as failed,
	// the read goes to the primary.
	ReplicaTimeout time.Duration
	// RetryAfter is how long a replica that failed is left alone before it
	// is used again (default 1 s); the lag checks go on meanwhile.
	RetryAfter time.Duration
}

// withDefaults fills in zero fields and checks the result.
func (c ReplicaConfig) withDefaults() (ReplicaConfig, error) {
	if c.MaxLag == 0 {
		c.MaxLag = time.Second
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = c.MaxLag / 4
	}
	if c.ReplicaTimeout == 0 {
		c.ReplicaTimeout = time.Second
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Second
	}
	switch {
	case c.MaxLag < 0 || c.CheckInterval <= 0 || c.ReplicaTimeout < 0 || c.RetryAfter < 0:
		return c, fmt.Errorf("%w: replica durations must be positive", ErrInvalidInput)
	case c.CheckInterval >= c.MaxLag:
		return c, fmt.Errorf("%w: replica CheckInterval (%v) must be below MaxLag (%v)", ErrInvalidInput, c.CheckInterval, c.MaxLag)
	}
	return c, nil
}

// ReplicaRouter is an Adapter and an AttemptThrottle that sends the reads
// of a request's hot path — GetSession, GetSessionAndUser, GetUser, GetKey
// and GetKeysByUserID — to a streaming replica, and everything else to the
// primary: writes, ExtendSession, ConsumeKey, the throttle, and
// GetSessionsByUserID (a list cannot tell a missing row from a late one).
//
//   - A read the replica does not find (a session created a moment ago
//     that has not arrived) is asked of the primary.
//   - The replica serves reads only while its lag, measured every
//     CheckInterval by comparing WAL positions, is below MaxLag; otherwise
//     every read goes to the primary. So a deleted session is accepted for
//     at most MaxLag after its deletion committed.
//   - A replica that fails or does not answer within ReplicaTimeout is
//     skipped: the read is answered by the primary with no error, and the
//     replica is tried again after RetryAfter.
//
// auth.New works on it as on a Store. Close stops its lag checks.
type ReplicaRouter struct {
	primary, replica *Store
	cfg              ReplicaConfig
	lag              replicaLag

	replicaReads, replicaMisses, fallbacks, primaryReads atomic.Int64

	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

var (
	_ Adapter         = (*ReplicaRouter)(nil)
	_ AttemptThrottle = (*ReplicaRouter)(nil)
)

// NewReplicaRouter returns a router over primary and replica, Stores on
// pools (not transactions) of a primary and of a streaming standby of it,
// and starts measuring the replica's lag; reads go to the primary until
// the first measurement. Passing the primary's own Store as replica is
// allowed (its lag is zero). Close it when done.
func NewReplicaRouter(primary, replica *Store, cfg ReplicaConfig) (*ReplicaRouter, error) {
	if primary == nil || replica == nil {
		return nil, fmt.Errorf("%w: replica router needs a primary and a replica Store", ErrInvalidInput)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &ReplicaRouter{
		primary: primary,
		replica: replica,
		cfg:     cfg,
		lag:     replicaLag{primary: primary.db, replica: replica.db, base: time.Now()},
		stop:    make(chan struct{}),
	}
	r.done.Add(1)
	go r.measure()
	return r, nil
}

// Close stops the lag checks; reads then all go to the primary. It does
// not close the Stores' pools.
func (r *ReplicaRouter) Close() {
	r.once.Do(func() { close(r.stop) })
	r.done.Wait()
	r.lag.markDown(time.Duration(1<<62 - 1))
}

// measure checks the lag every CheckInterval until Close.
func (r *ReplicaRouter) measure() {
	defer r.done.Done()
	ticker := time.NewTicker(r.cfg.CheckInterval)
	defer ticker.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ReplicaTimeout)
		err := r.lag.check(ctx)
		cancel()
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

// ReplicaStats counts where a ReplicaRouter's reads went.
type ReplicaStats struct {
	// ReplicaReads were answered by the replica.
	ReplicaReads int64
	// ReplicaMisses found nothing on the replica and were asked of the
	// primary.
	ReplicaMisses int64
	// Fallbacks failed on the replica and were answered by the primary.
	Fallbacks int64
	// PrimaryReads went straight to the primary: the replica was too
	// stale, resting after a failure, or not yet measured.
	PrimaryReads int64
	// Usable says whether the replica serves reads now.
	Usable bool
	// Staleness is how old the newest state known to be on the replica
	// is; Measured is false before the first measurement.
	Staleness time.Duration
	Measured  bool
}

// Stats returns the counts so far and the replica's current state.
func (r *ReplicaRouter) Stats() ReplicaStats {
	stale, measured := r.lag.staleness()
	return ReplicaStats{
		ReplicaReads:  r.replicaReads.Load(),
		ReplicaMisses: r.replicaMisses.Load(),
		Fallbacks:     r.fallbacks.Load(),
		PrimaryReads:  r.primaryReads.Load(),
		Usable:        r.lag.usable(r.cfg.MaxLag),
		Staleness:     stale,
		Measured:      measured,
	}
}

// routeRead runs read on the replica when it is usable and on the primary
// when it is not, when the replica's answer is a miss, or when the replica
// fails. Only the caller's own cancellation ends it with the replica's
// error.
func routeRead[T any](ctx context.Context, r *ReplicaRouter, read func(context.Context, *Store) (T, error), miss func(T, error) bool) (T, error) {
	if !r.lag.usable(r.cfg.MaxLag) {
		r.primaryReads.Add(1)
		return read(ctx, r.primary)
	}
	replicaCtx, cancel := context.WithTimeout(ctx, r.cfg.ReplicaTimeout)
	v, err := read(replicaCtx, r.replica)
	cancel()
	switch {
	case miss(v, err):
		r.replicaMisses.Add(1)
	case err == nil || errors.Is(err, ErrInvalidInput):
		// ErrInvalidInput is refused before any SQL: the primary would
		// refuse it the same way.
		r.replicaReads.Add(1)
		return v, err
	case ctx.Err() != nil:
		return v, err
	default:
		r.fallbacks.Add(1)
		r.lag.markDown(r.cfg.RetryAfter)
	}
	return read(ctx, r.primary)
}

// missing returns the miss test of a single-row read, whose miss is
// notFound.
func missing[T any](notFound error) func(T, error) bool {
	return func(_ T, err error) bool { return errors.Is(err, notFound) }
}

// GetSession implements SessionAdapter on the replica, falling back to the
// primary.
func (r *ReplicaRouter) GetSession(ctx context.Context, sessionID string) (Session, error) {
	return routeRead(ctx, r, func(ctx context.Context, s *Store) (Session, error) {
		return s.GetSession(ctx, sessionID)
	}, missing[Session](ErrInvalidSessionID))
}

// sessionAndUser is GetSessionAndUser's two results, for routeRead.
type sessionAndUser struct {
	session Session
	user    User
}

// GetSessionAndUser implements Adapter on the replica, falling back to the
// primary.
func (r *ReplicaRouter) GetSessionAndUser(ctx context.Context, sessionID string) (Session, User, error) {
	v, err := routeRead(ctx, r, func(ctx context.Context, s *Store) (sessionAndUser, error) {
		session, user, err := s.GetSessionAndUser(ctx, sessionID)
		return sessionAndUser{session, user}, err
	}, missing[sessionAndUser](ErrInvalidSessionID))
	return v.session, v.user, err
}

// GetUser implements UserAdapter on the replica, falling back to the
// primary.
func (r *ReplicaRouter) GetUser(ctx context.Context, userID string) (User, error) {
	return routeRead(ctx, r, func(ctx context.Context, s *Store) (User, error) {
		return s.GetUser(ctx, userID)
	}, missing[User](ErrInvalidUserID))
}

// GetKey implements UserAdapter on the replica, falling back to the
// primary.
func (r *ReplicaRouter) GetKey(ctx context.Context, keyID string) (Key, error) {
	return routeRead(ctx, r, func(ctx context.Context, s *Store) (Key, error) {
		return s.GetKey(ctx, keyID)
	}, missing[Key](ErrInvalidKeyID))
}

// GetKeysByUserID implements UserAdapter on the replica; no keys there (a
// user created a moment ago) is asked of the primary.
func (r *ReplicaRouter) GetKeysByUserID(ctx context.Context, userID string) ([]Key, error) {
	return routeRead(ctx, r, func(ctx context.Context, s *Store) ([]Key, error) {
		return s.GetKeysByUserID(ctx, userID)
	}, func(keys []Key, err error) bool { return err == nil && len(keys) == 0 })
}

// GetSessionsByUserID implements SessionAdapter on the primary.
func (r *ReplicaRouter) GetSessionsByUserID(ctx context.Context, userID string) ([]Session, error) {
	return r.primary.GetSessionsByUserID(ctx, userID)
}

// SetUser implements UserAdapter on the primary.
func (r *ReplicaRouter) SetUser(ctx context.Context, user User, key *Key) (User, error) {
	return r.primary.SetUser(ctx, user, key)
}

// UpdateUserAttributes implements UserAdapter on the primary.
func (r *ReplicaRouter) UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (User, error) {
	return r.primary.UpdateUserAttributes(ctx, userID, attributes)
}

// DeleteUser implements UserAdapter on the primary.
func (r *ReplicaRouter) DeleteUser(ctx context.Context, userID string) error {
	return r.primary.DeleteUser(ctx, userID)
}

// SetKey implements UserAdapter on the primary.
func (r *ReplicaRouter) SetKey(ctx context.Context, key Key) error {
	return r.primary.SetKey(ctx, key)
}

// UpdateKeyPassword implements UserAdapter on the primary.
func (r *ReplicaRouter) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) (Key, error) {
	return r.primary.UpdateKeyPassword(ctx, keyID, hashedPassword)
}

// DeleteNonPrimaryKey implements UserAdapter on the primary.
func (r *ReplicaRouter) DeleteNonPrimaryKey(ctx context.Context, keyID string) error {
	return r.primary.DeleteNonPrimaryKey(ctx, keyID)
}

// DeleteKeysByUserID implements UserAdapter on the primary.
func (r *ReplicaRouter) DeleteKeysByUserID(ctx context.Context, userID string) error {
	return r.primary.DeleteKeysByUserID(ctx, userID)
}

// ConsumeKey implements UserAdapter on the primary: single use needs the
// one authoritative copy.
func (r *ReplicaRouter) ConsumeKey(ctx context.Context, keyID string) (Key, error) {
	return r.primary.ConsumeKey(ctx, keyID)
}

// SetSession implements SessionAdapter on the primary.
func (r *ReplicaRouter) SetSession(ctx context.Context, session Session) error {
	return r.primary.SetSession(ctx, session)
}

// ExtendSession implements SessionAdapter on the primary.
func (r *ReplicaRouter) ExtendSession(ctx context.Context, sessionID string, activeExpires, idleExpires int64) (Session, error) {
	return r.primary.ExtendSession(ctx, sessionID, activeExpires, idleExpires)
}

// DeleteSession implements SessionAdapter on the primary.
func (r *ReplicaRouter) DeleteSession(ctx context.Context, sessionID string) error {
	return r.primary.DeleteSession(ctx, sessionID)
}

// DeleteSessionsByUserID implements SessionAdapter on the primary.
func (r *ReplicaRouter) DeleteSessionsByUserID(ctx context.Context, userID string) error {
	return r.primary.DeleteSessionsByUserID(ctx, userID)
}

// CountAttempt implements AttemptThrottle on the primary.
func (r *ReplicaRouter) CountAttempt(ctx context.Context, throttleKey string, now time.Time, policy ThrottlePolicy) (time.Duration, error) {
	return r.primary.CountAttempt(ctx, throttleKey, now, policy)
}

// ResetAttempts implements AttemptThrottle on the primary.
func (r *ReplicaRouter) ResetAttempts(ctx context.Context, throttleKey string) error {
	return r.primary.ResetAttempts(ctx, throttleKey)
}
