package sessioncache

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// Defaults and bounds of Config.
const (
	defaultSessionCacheEntries = 100_000
	defaultPollInterval        = 10 * time.Millisecond
	maxPollInterval            = time.Second
)

// Config configures New. Only ConnString is
// required.
type Config struct {
	// ConnString is the connection string of the connection that reads the
	// change log, one short query per PollInterval. It may go through a
	// pooler in any mode (PgBouncer in transaction mode included): each
	// query stands alone.
	ConnString string
	// MaxEntries bounds the number of cached sessions. They are spread over
	// up to 16 locks by a hash of the id, each with its share of
	// MaxEntries. Each evicts its oldest entry not read since it was last
	// passed over (CLOCK's second chance, close to least recently used at
	// a read's cost of a read lock).
	// Zero means 100,000.
	MaxEntries int
	// MaxStaleness is the longest an entry is served before it is read
	// again from the next adapter, whatever the change log says. Zero means one
	// minute.
	MaxStaleness time.Duration
	// PollInterval is how often the change log is read: the usual delay
	// before another process's change is seen here, unless a cache's
	// wake-up comes first. Zero means 10 ms; at most one second.
	PollInterval time.Duration
	// MaxLag bounds how long another process's change can go unseen: an
	// entry is served only while the last applied read of the change log
	// began less than MaxLag ago. Past it (the reading goroutine waits for
	// a busy process's cores, or a read is slow) reads go to the next adapter
	// and the entries stay: the next read of the log applies what was
	// missed. Zero means 5 × PollInterval (50 ms by default); it must be
	// at least twice PollInterval and at most 5 s.
	MaxLag time.Duration
	// ShareAttributes makes GetSessionAndUser return the cached user's
	// Attributes map itself, where it otherwise returns a copy: every read
	// of that user then gets the same map, until the user changes and a
	// new entry holds a new map (the cache never writes into a map it
	// has handed out). Set it only if nothing modifies the Attributes of
	// a user it is given: a write would be a data race, and would reach
	// every later request for that user. The copy is most of a hit's cost
	// (see docs/performance.md, "Session cache").
	ShareAttributes bool
	// Logger, when not nil, receives state changes (serving, bypassing,
	// reconnects) and errors. Nothing logged holds an id.
	Logger *slog.Logger
	// Now is the clock that decides whether an entry has expired; nil
	// means time.Now. Tests set it.
	Now func() time.Time
}

// Cache is a luciapg.ThrottlingAdapter that serves GetSession and GetSessionAndUser
// from memory and sends every other call to its next adapter. Its entries are
// kept coherent by PostgreSQL: the triggers of luciapg's migrations log
// every change to a live session or a user, whoever makes it (luciapg, a
// Lucia v1 app, psql), and each Cache reads the log every
// PollInterval and evicts what it names.
//
// It never serves what it cannot vouch for:
//   - a write through the cache evicts locally before it returns;
//   - a read from the next adapter is cached only if no invalidation arrived
//     while it ran (an epoch counter, checked on insert), so a read that
//     raced a change cannot put the old row back; when the next adapter
//     may read from behind (a luciapg.StaleReader, such as replica.Router
//     reading from a standby), a read is not cached either while it may
//     predate a change to its session or user that the cache has seen;
//   - an entry is served only while the last applied read of the log
//     began less than MaxLag ago (50 ms by default), so a change another
//     process committed longer ago than that is never served, even when
//     the reading is late;
//   - while the log cannot be read (the connection is lost, the server
//     restarts, or no read has succeeded for a few seconds) every read
//     goes to the next adapter, and when reading resumes every entry is dropped;
//   - a cache that has just started serves nothing until the transactions
//     running when it announced itself have ended (they may have changed
//     a session without logging it);
//   - the triggers learn that a cache reads the log from a lease counted
//     in transaction ids, which no step of the server's clock moves, and a
//     cache that sees ids outrun its lease between two reads starts over,
//     and they log every change to a session but the Store's purge of
//     sessions dead by its own clock, whatever the server's clock says;
//   - an entry ends with its session's active period, so an idle session
//     reaches the next adapter and is renewed, and after MaxStaleness.
//
// Another process's change is seen at the next read of the log, after its
// commit (PollInterval, 10 ms by default), and never later than MaxLag; a
// change through this cache is seen at once, and a revocation through it
// (a session or user deleted, a user changed) wakes the other caches to
// read the log within a millisecond or two (wakeup.go). Use it with auth.New like any
// adapter; it passes luciapg.AttemptThrottle, and luciapg.FactorAdapter,
// luciapg.DeviceAdapter, luciapg.AuditAdapter and
// luciapg.EmailChangeAdapter when the next adapter is one (factors.go,
// devices.go, audit.go, email_change.go), to the next adapter, evicting
// what a revocation deletes as DeleteSession does. Close stops reading
// the log.
type Cache struct {
	// next serves every call the cache does not answer itself: the
	// methods of writes.go change what they pass on only by evicting.
	next
	cfg     Config
	stats   cacheCounters
	cancel  context.CancelFunc
	stopped chan struct{}
	closing sync.Once

	// serving is true only while the change log is being read and every
	// transaction that might not have logged its changes has ended.
	serving atomic.Bool
	// start is when the cache was made, and polled when the last
	// successful read of the log began, as time since start (monotonic):
	// entries are served only while it is recent (maxPollGap).
	start  time.Time
	polled atomic.Int64
	// epoch changes with every invalidation, flush and change of state,
	// before the shards change. A read from the next adapter is inserted only if
	// the epoch is still the one seen before the read began, checked under
	// the shard's lock.
	epoch atomic.Uint64
	// shards hold the entries, by a hash of the session id, so that hits
	// on different sessions rarely wait for the same lock.
	shards []cacheShard
	seed   maphash.Seed
	// staleness is the next adapter's MaxStaleness (luciapg.StaleReader),
	// 0 when its reads never lag; recent remembers, for that long, what
	// was invalidated, so that a read that may predate an invalidation is
	// not cached.
	staleness time.Duration
	recent    recentChanges
	// realClock is true when cfg.Now is time.Now: a hit reads the clock
	// once for both the poll gap and the entry's expiry.
	realClock bool
	// maxLag is cfg.MaxLag, or the poll gap if a test made that shorter.
	maxLag time.Duration

	hooks   cacheHooks
	timing  changeLogTiming
	wakeups wakeups
}

// cacheHooks let this package's tests step into the cache's
// sequence; all are nil otherwise.
type cacheHooks struct {
	// afterChange runs once a logged change has been applied.
	afterChange func(payload string)
	// beforeInsert runs after a read of the next adapter, before its row is cached.
	beforeInsert func()
	// afterPoll runs after each successful read of the change log.
	afterPoll func()
	// timing, when not nil, replaces defaultChangeLogTiming.
	timing *changeLogTiming
	// pollInterval, when not zero, replaces Config.PollInterval past its
	// checks: a test that must see only wake-ups sets an hour.
	pollInterval time.Duration
}

// cacheKey is the SHA-256 of an id: what the change log holds.
type cacheKey [sha256.Size]byte

func keyOf(id string) cacheKey { return sha256.Sum256([]byte(id)) }

// cachedSession is one entry: a session, with its user once a
// GetSessionAndUser has read it.
type cachedSession struct {
	// What a hit reads comes first, on the entry's first cache lines.

	// expiresMono is when the entry stops being served, on the monotonic
	// clock as time since the cache's start, which a hit reads for the
	// poll gap anyway; expiresAt is the same moment in ms since the epoch:
	// the earlier of the session's active expiry and the read time plus
	// MaxStaleness.
	expiresMono, expiresAt int64
	// referenced is set by hits: the entry's second chance at eviction.
	referenced atomic.Bool
	hasUser    bool
	session    luciapg.Session
	// userID and attributes are the user's, once hasUser.
	userID     string
	attributes cachedAttributes
	// sessionKey and userKey are the hashes the change log names them by.
	sessionKey, userKey cacheKey
}

// cacheTime is the moment a hit is checked at.
type cacheTime struct {
	// mono is the time since the cache's start (monotonic), wallMs the
	// configured clock's reading, read only when it is not time.Now.
	mono, wallMs int64
	useWall      bool
}

// expiredAt reports whether the entry may no longer be served at now:
// on the monotonic clock, which costs a hit one clock read, unless a test
// set Config.Now.
func (e *cachedSession) expiredAt(now cacheTime) bool {
	if now.useWall {
		return now.wallMs >= e.expiresAt
	}
	return now.mono >= e.expiresMono
}

var (
	_ luciapg.Adapter         = (*Cache)(nil)
	_ luciapg.AttemptThrottle = (*Cache)(nil)
)

// next is the adapter under a Cache, embedded under a name of its own so
// that only the methods it promotes are exported.
type next = luciapg.ThrottlingAdapter

// New returns a cache over next, any adapter that also throttles (a
// *luciapg.Store on a pool, a replica.Router, memadapter in tests). It
// connects to cfg.ConnString, announces to the triggers that a cache reads
// the change log, and returns the cache, which serves from memory once its
// first read of the log shows that no transaction that began before it can
// still change a session unlogged (usually at once). ctx bounds only this
// first connection; a connection lost later is re-established in the
// background until Close. The database must have luciapg's migrations
// applied (luciapg.Migrate), which create the log and its triggers.
//
// next must not run in a transaction (luciapg.New(tx)): what a
// transaction reads may be rolled back, and a rollback logs nothing. When
// next may read from behind (a luciapg.StaleReader, such as a
// replica.Router), a read is not cached while it may predate a change the
// cache has seen. An invalid cfg is an error wrapping
// luciapg.ErrInvalidConfig.
func New(ctx context.Context, next luciapg.ThrottlingAdapter, cfg Config) (*Cache, error) {
	return newCache(ctx, next, cfg, cacheHooks{})
}

func newCache(ctx context.Context, next luciapg.ThrottlingAdapter, cfg Config, hooks cacheHooks) (*Cache, error) {
	if input.IsNil(next) {
		return nil, fmt.Errorf("%w: sessioncache: the next adapter is nil", luciapg.ErrInvalidConfig)
	}
	if cfg.ConnString == "" {
		return nil, fmt.Errorf("%w: sessioncache: ConnString is empty (the change log's connection string)", luciapg.ErrInvalidConfig)
	}
	if cfg.MaxEntries < 0 || cfg.MaxStaleness < 0 || cfg.PollInterval < 0 || cfg.MaxLag < 0 {
		return nil, fmt.Errorf("%w: sessioncache: MaxEntries, MaxStaleness, PollInterval and MaxLag must not be negative", luciapg.ErrInvalidConfig)
	}
	if cfg.PollInterval > maxPollInterval {
		return nil, fmt.Errorf("%w: sessioncache: PollInterval %v is over the %v limit (entries are served only while the log was read in the last %v)",
			luciapg.ErrInvalidConfig, cfg.PollInterval, maxPollInterval, maxPollGap)
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = defaultSessionCacheEntries
	}
	if cfg.MaxStaleness == 0 {
		cfg.MaxStaleness = time.Minute
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = defaultPollInterval
	}
	if cfg.MaxLag == 0 {
		cfg.MaxLag = min(5*cfg.PollInterval, maxPollGap)
	}
	if cfg.MaxLag < 2*cfg.PollInterval || cfg.MaxLag > maxPollGap {
		return nil, fmt.Errorf("%w: sessioncache: MaxLag %v must be between twice PollInterval (%v) and %v", luciapg.ErrInvalidConfig, cfg.MaxLag, 2*cfg.PollInterval, maxPollGap)
	}
	realClock := cfg.Now == nil
	if realClock {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{
		next:      next,
		cfg:       cfg,
		stopped:   make(chan struct{}),
		hooks:     hooks,
		timing:    defaultChangeLogTiming,
		start:     time.Now(),
		seed:      maphash.MakeSeed(),
		realClock: realClock,
		wakeups:   wakeups{announce: make(chan struct{}, 1), gap: cfg.PollInterval / 5},
	}
	if hooks.timing != nil {
		c.timing = *hooks.timing
	}
	c.maxLag = min(cfg.MaxLag, c.timing.maxPollGap)
	if hooks.pollInterval > 0 {
		c.cfg.PollInterval = hooks.pollInterval
	}
	if stale, ok := next.(luciapg.StaleReader); ok {
		c.staleness = stale.MaxStaleness()
	}
	shards, err := newCacheShards(cfg.MaxEntries)
	if err != nil {
		return nil, fmt.Errorf("%w: sessioncache: %w", luciapg.ErrInvalidConfig, err)
	}
	c.shards = shards
	follower, err := c.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("sessioncache: %w", err)
	}
	// The first read, here, so that the cache usually serves at once.
	if err := c.pollOnce(ctx, follower, time.Now()); err != nil {
		follower.conn.Close(context.Background())
		return nil, fmt.Errorf("sessioncache: reading the change log: %w", err)
	}
	c.cfg.Logger.Info("luciapg session cache: reading the change log", "poll_interval", cfg.PollInterval)
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(runCtx, follower)
	return c, nil
}

// Close stops reading the change log and closes its connection. The cache then
// serves nothing from memory: every call goes to the next adapter. It returns nil
// and is safe to call more than once.
func (c *Cache) Close() error {
	c.closing.Do(func() {
		c.cancel()
		<-c.stopped
	})
	return nil
}

// GetSession implements luciapg.SessionAdapter from memory when the session is
// cached, from the next adapter otherwise.
func (c *Cache) GetSession(ctx context.Context, sessionID string) (luciapg.Session, error) {
	entry, epoch, ok := c.lookup(sessionID, false)
	if ok {
		return entry.session, nil
	}
	started := c.sinceStart()
	session, err := c.next.GetSession(ctx, sessionID)
	if err != nil {
		return luciapg.Session{}, err
	}
	c.insert(epoch, started, &cachedSession{session: session})
	return session, nil
}

// GetSessionAndUser implements luciapg.Adapter from memory when the session and
// its user are cached, from the next adapter otherwise. The user's Attributes map
// is the caller's own copy, unless Config.ShareAttributes is
// set.
func (c *Cache) GetSessionAndUser(ctx context.Context, sessionID string) (luciapg.Session, luciapg.User, error) {
	entry, epoch, ok := c.lookup(sessionID, true)
	if ok {
		if c.cfg.ShareAttributes {
			return entry.session, luciapg.User{ID: entry.userID, Attributes: entry.attributes.m}, nil
		}
		return entry.session, luciapg.User{ID: entry.userID, Attributes: entry.attributes.copy()}, nil
	}
	started := c.sinceStart()
	session, user, err := c.next.GetSessionAndUser(ctx, sessionID)
	if err != nil {
		return luciapg.Session{}, luciapg.User{}, err
	}
	c.insert(epoch, started, &cachedSession{
		session:    session,
		userID:     user.ID,
		attributes: newCachedAttributes(user.Attributes, c.cfg.ShareAttributes),
		hasUser:    true,
	})
	return session, user, nil
}

// lookup returns the live entry for sessionID, or the epoch to insert
// under after reading the next adapter: 0 while bypassing, when nothing may be
// inserted (a serving cache's epoch is never 0: the flush that starts
// serving moves it). ok is false when the caller must read the next adapter.
func (c *Cache) lookup(sessionID string, wantUser bool) (entry *cachedSession, epoch uint64, ok bool) {
	now := cacheTime{mono: int64(time.Since(c.start))}
	if !c.realClock {
		now.wallMs, now.useWall = c.cfg.Now().UnixMilli(), true
	}
	if !c.serving.Load() {
		c.stats.bypassed.Add(1)
		return nil, 0, false
	}
	if c.lagging(now.mono) {
		c.stats.lagged.Add(1)
		return nil, 0, false
	}
	epoch = c.epoch.Load()
	shard := c.shardOf(sessionID)
	entry, ok = shard.get(sessionID, now, &c.stats.evictedExpired)
	if ok && wantUser && !entry.hasUser {
		ok = false
	}
	if ok {
		shard.hits.Add(1)
	} else {
		shard.misses.Add(1)
	}
	return entry, epoch, ok
}

// sinceStart is the monotonic time since the cache's start.
func (c *Cache) sinceStart() int64 { return int64(time.Since(c.start)) }

// insert caches entry, read from the next adapter by a read that started
// at started (time since the cache's start), unless the epoch moved since
// the read began (an invalidation arrived, or the cache changed state: the
// row may be stale), the read may predate an invalidation of its session
// or user (a next adapter that reads from behind), or the session is not
// active now.
func (c *Cache) insert(epoch uint64, started int64, entry *cachedSession) {
	if c.hooks.beforeInsert != nil {
		c.hooks.beforeInsert()
	}
	mono := c.sinceStart()
	now := c.cfg.Now().UnixMilli()
	if epoch == 0 || now >= entry.session.ActiveExpires {
		return
	}
	entry.expiresAt = min(entry.session.ActiveExpires, now+c.cfg.MaxStaleness.Milliseconds())
	entry.expiresMono = mono + (entry.expiresAt-now)*int64(time.Millisecond)
	entry.sessionKey, entry.userKey = keyOf(entry.session.ID), keyOf(entry.session.UserID)
	if c.staleness > 0 && c.recent.changedSince(started-int64(c.staleness), entry.sessionKey, entry.userKey) {
		c.stats.insertsRefused.Add(1)
		return
	}
	shard := c.shardOf(entry.session.ID)
	shard.mu.Lock()
	defer shard.mu.Unlock()
	// Checked under the shard's lock: an invalidation moves the epoch
	// before it takes the lock, so it either refuses this insert or finds
	// the entry and evicts it.
	if !c.serving.Load() || c.epoch.Load() != epoch {
		c.stats.insertsRefused.Add(1)
		return
	}
	c.stats.evictedCapacity.Add(shard.addLocked(entry))
}

func (c *Cache) shardOf(sessionID string) *cacheShard {
	return &c.shards[maphash.String(c.seed, sessionID)&uint64(len(c.shards)-1)]
}

// evictSession drops the session with this hash and moves the epoch.
func (c *Cache) evictSession(sessionKey cacheKey, cause *counter) {
	c.remember(sessionKey)
	c.epoch.Add(1)
	for i := range c.shards {
		cause.Add(c.shards[i].evictSession(sessionKey))
	}
}

// evictUser drops every cached session of a user and moves the epoch.
func (c *Cache) evictUser(userKey cacheKey, cause *counter) {
	c.remember(userKey)
	c.epoch.Add(1)
	for i := range c.shards {
		cause.Add(c.shards[i].evictUser(userKey))
	}
}

// remember notes an invalidation of key, before the epoch moves, when the
// next adapter may read from behind.
func (c *Cache) remember(key cacheKey) {
	if c.staleness > 0 {
		c.recent.changed(key, c.sinceStart(), int64(c.staleness))
	}
}

// flush drops every entry and moves the epoch.
func (c *Cache) flush(cause *counter) {
	if c.staleness > 0 {
		c.recent.flushed(c.sinceStart(), int64(c.staleness))
	}
	c.epoch.Add(1)
	for i := range c.shards {
		cause.Add(c.shards[i].purge())
	}
}

// setServing flushes and switches between serving from memory and
// sending every read to the next adapter (bypassing). Both ways the entries go:
// before bypassing because changes are being missed, before serving again
// because they were.
func (c *Cache) setServing(serving bool) {
	if !serving {
		c.serving.Store(false)
	}
	c.flush(&c.stats.evictedFlushed)
	if serving {
		c.serving.Store(true)
	}
}

// lagging reports whether, at mono (time since the start), the last
// applied read of the change log began more than MaxLag ago.
func (c *Cache) lagging(mono int64) bool {
	return mono-c.polled.Load() > int64(c.maxLag)
}

// markPolled records that a read of the change log that began at start
// has been applied.
func (c *Cache) markPolled(start time.Time) {
	c.polled.Store(int64(start.Sub(c.start)))
}

// entries counts the cached sessions.
func (c *Cache) entries() int {
	n := 0
	for i := range c.shards {
		n += c.shards[i].len()
	}
	return n
}
