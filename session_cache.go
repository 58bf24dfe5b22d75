package luciapg

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/jackc/pgx/v5"
)

// SessionCacheChannel is the channel the triggers of luciapg's migration
// 20261202000000 notify and a SessionCache listens on.
const SessionCacheChannel = "luciapg_session_cache"

// SessionCacheConfig configures NewSessionCache. Only ListenConnString is
// required.
type SessionCacheConfig struct {
	// ListenConnString is the connection string of the connection that
	// LISTENs for invalidations. It must reach PostgreSQL directly (or
	// through a session-pooling proxy): a transaction-pooling proxy such as
	// PgBouncer in transaction mode hands the connection to other clients
	// between statements, so a LISTEN on it hears nothing.
	ListenConnString string
	// MaxEntries bounds the number of cached sessions, least recently used
	// evicted first. Zero means 100,000.
	MaxEntries int
	// MaxStaleness is the longest an entry is served before it is read
	// again from the Store, whatever the notifications say: the bound on a
	// stale read if the listening connection dies silently (a network
	// partition) before Heartbeat notices. Zero means one minute.
	MaxStaleness time.Duration
	// Heartbeat is how long the listening connection may stay silent
	// before it is checked with a round trip; a check that fails counts as
	// a lost connection. Zero means 5 seconds.
	Heartbeat time.Duration
	// Logger, when not nil, receives state changes (listening, bypassing,
	// reconnects) and listener errors. Nothing logged holds an id.
	Logger *slog.Logger
	// Now is the clock that decides whether an entry has expired; nil
	// means time.Now. Tests set it.
	Now func() time.Time
}

// SessionCache is an Adapter that serves GetSession and GetSessionAndUser
// from memory and sends every other call to its Store. Its entries are
// kept coherent by PostgreSQL: the triggers of luciapg's migrations notify
// every change to a live session or a user, whoever makes it, and each
// SessionCache evicts what the notification names.
//
// It never serves what it cannot vouch for:
//   - a write through the cache evicts locally before it returns;
//   - a read from the Store is cached only if no invalidation arrived
//     while it ran (an epoch counter, checked on insert), so a read that
//     raced a change cannot put the old row back;
//   - while the listening connection is down every read goes to the Store,
//     and when it listens again every entry is dropped, since
//     notifications may have been missed;
//   - an entry ends with its session's active period, so an idle session
//     reaches the Store and is renewed, and after MaxStaleness.
//
// Another process's change is seen once its notification arrives, after
// its commit (typically a millisecond); a change through this cache is
// seen at once. Use it with auth.New like any adapter; it also forwards
// AttemptThrottle to the Store. Close stops the listener.
type SessionCache struct {
	store   *Store
	cfg     SessionCacheConfig
	stats   sessionCacheCounters
	cancel  context.CancelFunc
	stopped chan struct{}
	closing sync.Once

	// mu guards everything below: the hot path takes it once.
	mu sync.Mutex
	// listening is true only while the listener holds a working LISTEN.
	listening bool
	// epoch changes with every invalidation, flush and change of state. A
	// read from the Store is inserted only if the epoch is still the one
	// seen before the read began.
	epoch uint64
	// entries are keyed by session id, so a hit hashes nothing.
	entries *simplelru.LRU[string, *cachedSession]
	// byHash finds the cached session a notification names by its hash;
	// byUser the cached sessions of the user one names.
	byHash map[cacheKey]string
	byUser map[cacheKey]map[string]struct{}

	hooks sessionCacheHooks
}

// sessionCacheHooks let this package's tests step into the cache's
// sequence; all are nil otherwise.
type sessionCacheHooks struct {
	// afterNotification runs once a notification has been applied.
	afterNotification func(payload string)
	// beforeInsert runs after a Store read, before its row is cached.
	beforeInsert func()
	// afterHeartbeat runs after a heartbeat check succeeded.
	afterHeartbeat func()
}

// cacheKey is the SHA-256 of an id: what the notifications carry.
type cacheKey [sha256.Size]byte

func keyOf(id string) cacheKey { return sha256.Sum256([]byte(id)) }

// cachedSession is one entry: a session, with its user once a
// GetSessionAndUser has read it.
type cachedSession struct {
	session Session
	user    User
	hasUser bool
	// sessionKey and userKey are the hashes notifications name them by.
	sessionKey, userKey cacheKey
	// expiresAt (ms since the epoch) is the earlier of the session's
	// active expiry and the read time plus MaxStaleness.
	expiresAt int64
}

var (
	_ Adapter         = (*SessionCache)(nil)
	_ AttemptThrottle = (*SessionCache)(nil)
)

// NewSessionCache connects to cfg.ListenConnString, LISTENs on
// SessionCacheChannel and returns the cache, listening. ctx bounds only
// this first connection; a connection lost later is re-established in the
// background until Close. The database must have luciapg's migrations
// applied (Migrate), which create the triggers that notify. The Store must
// not run in a transaction (New(tx)): what a transaction reads may be
// rolled back, and a rollback notifies nobody.
func NewSessionCache(ctx context.Context, store *Store, cfg SessionCacheConfig) (*SessionCache, error) {
	return newSessionCache(ctx, store, cfg, sessionCacheHooks{})
}

func newSessionCache(ctx context.Context, store *Store, cfg SessionCacheConfig, hooks sessionCacheHooks) (*SessionCache, error) {
	if store == nil {
		return nil, errors.New("luciapg: NewSessionCache: store is nil")
	}
	if _, ok := store.db.(pgx.Tx); ok {
		// Rows read inside a transaction may never commit, and a rollback
		// notifies nobody: cached, they would be served to everyone.
		return nil, errors.New("luciapg: NewSessionCache: the store runs in a transaction; give the cache a Store on a pool")
	}
	if cfg.ListenConnString == "" {
		return nil, errors.New("luciapg: NewSessionCache: ListenConnString is empty")
	}
	if cfg.MaxEntries < 0 || cfg.MaxStaleness < 0 || cfg.Heartbeat < 0 {
		return nil, errors.New("luciapg: NewSessionCache: MaxEntries, MaxStaleness and Heartbeat must not be negative")
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 100_000
	}
	if cfg.MaxStaleness == 0 {
		cfg.MaxStaleness = time.Minute
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &SessionCache{
		store:   store,
		cfg:     cfg,
		stopped: make(chan struct{}),
		byHash:  map[cacheKey]string{},
		byUser:  map[cacheKey]map[string]struct{}{},
		hooks:   hooks,
	}
	entries, err := simplelru.NewLRU(cfg.MaxEntries, c.unindex)
	if err != nil {
		return nil, fmt.Errorf("luciapg: NewSessionCache: %w", err)
	}
	c.entries = entries
	conn, err := c.connectAndListen(ctx)
	if err != nil {
		return nil, fmt.Errorf("luciapg: NewSessionCache: %w", err)
	}
	c.setListening(true)
	c.cfg.Logger.Info("luciapg session cache: listening", "channel", SessionCacheChannel)
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.listen(runCtx, conn)
	return c, nil
}

// Close stops the listener and closes its connection. The cache then
// serves nothing from memory: every call goes to the Store. It returns nil
// and is safe to call more than once.
func (c *SessionCache) Close() error {
	c.closing.Do(func() {
		c.cancel()
		<-c.stopped
	})
	return nil
}

// GetSession implements SessionAdapter from memory when the session is
// cached, from the Store otherwise.
func (c *SessionCache) GetSession(ctx context.Context, sessionID string) (Session, error) {
	entry, epoch, ok := c.lookup(sessionID, false)
	if ok {
		return entry.session, nil
	}
	session, err := c.store.GetSession(ctx, sessionID)
	if err != nil {
		return Session{}, err
	}
	c.insert(epoch, &cachedSession{session: session})
	return session, nil
}

// GetSessionAndUser implements Adapter from memory when the session and
// its user are cached, from the Store otherwise. The user's Attributes map
// is the caller's own copy.
func (c *SessionCache) GetSessionAndUser(ctx context.Context, sessionID string) (Session, User, error) {
	entry, epoch, ok := c.lookup(sessionID, true)
	if ok {
		return entry.session, User{ID: entry.user.ID, Attributes: maps.Clone(entry.user.Attributes)}, nil
	}
	session, user, err := c.store.GetSessionAndUser(ctx, sessionID)
	if err != nil {
		return Session{}, User{}, err
	}
	c.insert(epoch, &cachedSession{
		session: session,
		user:    User{ID: user.ID, Attributes: maps.Clone(user.Attributes)},
		hasUser: true,
	})
	return session, user, nil
}

// lookup returns the live entry for sessionID, or the epoch to insert
// under after reading the Store: 0 while bypassing, when nothing may be
// inserted (a listening cache's epoch is never 0: the flush that starts
// listening moves it). ok is false when the caller must read the Store.
func (c *SessionCache) lookup(sessionID string, wantUser bool) (entry *cachedSession, epoch uint64, ok bool) {
	now := c.cfg.Now().UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening {
		c.stats.bypassed.Add(1)
		return nil, 0, false
	}
	entry, ok = c.entries.Get(sessionID)
	if ok && now >= entry.expiresAt {
		c.entries.Remove(sessionID)
		c.stats.evictedExpired.Add(1)
		ok = false
	}
	if ok && wantUser && !entry.hasUser {
		ok = false
	}
	if ok {
		c.stats.hits.Add(1)
	} else {
		c.stats.misses.Add(1)
	}
	return entry, c.epoch, ok
}

// insert caches entry unless the epoch moved since the read began (an
// invalidation arrived, or the listener changed state: the row may be
// stale) or the session is not active now.
func (c *SessionCache) insert(epoch uint64, entry *cachedSession) {
	if c.hooks.beforeInsert != nil {
		c.hooks.beforeInsert()
	}
	now := c.cfg.Now().UnixMilli()
	if epoch == 0 || now >= entry.session.ActiveExpires {
		return
	}
	entry.expiresAt = min(entry.session.ActiveExpires, now+c.cfg.MaxStaleness.Milliseconds())
	entry.sessionKey, entry.userKey = keyOf(entry.session.ID), keyOf(entry.session.UserID)
	id := entry.session.ID
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening || c.epoch != epoch {
		c.stats.insertsRefused.Add(1)
		return
	}
	// Removing first keeps byUser right if the entry's user changed.
	c.entries.Remove(id)
	if c.entries.Add(id, entry) {
		c.stats.evictedCapacity.Add(1)
	}
	c.byHash[entry.sessionKey] = id
	sessions := c.byUser[entry.userKey]
	if sessions == nil {
		sessions = map[string]struct{}{}
		c.byUser[entry.userKey] = sessions
	}
	sessions[id] = struct{}{}
}

// unindex is the LRU's eviction callback, called with mu held for every
// entry that leaves, whatever the cause.
func (c *SessionCache) unindex(sessionID string, entry *cachedSession) {
	delete(c.byHash, entry.sessionKey)
	sessions := c.byUser[entry.userKey]
	delete(sessions, sessionID)
	if len(sessions) == 0 {
		delete(c.byUser, entry.userKey)
	}
}

// evictSession drops the session with this hash and moves the epoch.
func (c *SessionCache) evictSession(sessionKey cacheKey, cause *counter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if id, ok := c.byHash[sessionKey]; ok && c.entries.Remove(id) {
		cause.Add(1)
	}
}

// evictUser drops every cached session of a user and moves the epoch.
func (c *SessionCache) evictUser(userKey cacheKey, cause *counter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for id := range c.byUser[userKey] {
		if c.entries.Remove(id) {
			cause.Add(1)
		}
	}
}

// flush drops every entry and moves the epoch.
func (c *SessionCache) flush(cause *counter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked(cause)
}

func (c *SessionCache) flushLocked(cause *counter) {
	c.epoch++
	cause.Add(uint64(c.entries.Len()))
	c.entries.Purge()
	clear(c.byHash)
	clear(c.byUser)
}

// setListening flushes and switches between serving from memory
// (listening) and sending every read to the Store (bypassing). Both ways
// the entries go: before bypassing because notifications are being
// missed, after listening again because they were.
func (c *SessionCache) setListening(listening bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked(&c.stats.evictedFlushed)
	c.listening = listening
}
