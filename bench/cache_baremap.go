package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/rawpgx"
	"github.com/luciapg/luciapg/dbgen"
)

// cachePollInterval is how often the SessionCache and the bare map read
// the change log: SessionCacheConfig's default, set explicitly so that
// both read at the same pace.
const cachePollInterval = 10 * time.Millisecond

// cacheMaxLag is the caches' MaxLag, which startSessionCache leaves at its
// default (5 × PollInterval): a change committed longer ago is never served.
const cacheMaxLag = 5 * cachePollInterval

// bareMapReaderTTL is how long the bare map's announcement to the
// triggers lasts; it renews it at a sixth of that, as the cache does.
const bareMapReaderTTL = time.Minute

// bareMap is the ideal the SessionCache is measured against: a map behind
// an RWMutex, filled by the raw twin on a miss and emptied by the same
// change log, read with the same query at the same interval, with none of
// the cache's bounds (no LRU, no expiry, no epoch, no bypass, no wait for
// the transactions that missed its announcement, no deletion of read
// rows) and no auth checks on a hit.
type bareMap struct {
	pool   luciapg.DB
	conn   *pgx.Conn
	cancel context.CancelFunc
	done   chan struct{}
	// err is why poll stopped before close, set before done is closed.
	err error

	mu      sync.RWMutex
	entries map[string]bareEntry
	byHash  map[[sha256.Size]byte]string
}

type bareEntry struct {
	session luciapg.Session
	user    luciapg.User
}

func newBareMap(ctx context.Context, url string, pool luciapg.DB) (*bareMap, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	q := dbgen.New(conn)
	if err := q.RegisterSessionCacheReader(ctx, bareMapReaderTTL.Milliseconds()); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	since, err := q.SessionCacheSnapshot(ctx)
	if err != nil {
		conn.Close(ctx)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	b := &bareMap{pool: pool, conn: conn, cancel: cancel, done: make(chan struct{}),
		entries: map[string]bareEntry{}, byHash: map[[sha256.Size]byte]string{}}
	go b.poll(runCtx, q, since)
	return b, nil
}

func (b *bareMap) get(ctx context.Context, id string) (luciapg.Session, luciapg.User, error) {
	b.mu.RLock()
	e, ok := b.entries[id]
	b.mu.RUnlock()
	if ok {
		return e.session, e.user, nil
	}
	s, u, err := rawpgx.GetSessionAndUser(ctx, b.pool, id)
	if err != nil {
		return s, u, err
	}
	b.mu.Lock()
	b.entries[id], b.byHash[sha256.Sum256([]byte(id))] = bareEntry{s, u}, id
	b.mu.Unlock()
	return s, u, nil
}

// poll reads the log every cachePollInterval and drops what each change
// names; a user's change (rare here) drops everything rather than keep a
// second index. It stops at the first error, which close returns.
func (b *bareMap) poll(ctx context.Context, q *dbgen.Queries, since string) {
	defer close(b.done)
	var err error
	defer func() {
		if ctx.Err() == nil {
			b.err = err
		}
	}()
	registered, renewed := since, time.Now()
	ticker := time.NewTicker(cachePollInterval)
	defer ticker.Stop()
	for {
		var row dbgen.PollSessionCacheChangesRow
		row, err = q.PollSessionCacheChanges(ctx, dbgen.PollSessionCacheChangesParams{
			Since: since, MaxRows: math.MaxInt32, Registered: registered,
		})
		if err != nil {
			return
		}
		since = row.Snapshot
		if len(row.Payloads) > 0 {
			b.mu.Lock()
			for _, payload := range row.Payloads {
				b.apply(payload)
			}
			b.mu.Unlock()
		}
		if time.Since(renewed) >= bareMapReaderTTL/6 {
			if err = q.RegisterSessionCacheReader(ctx, bareMapReaderTTL.Milliseconds()); err != nil {
				return
			}
			renewed = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// apply drops what one change names; b.mu is held.
func (b *bareMap) apply(payload string) {
	if h, ok := strings.CutPrefix(payload, "s:"); ok {
		var key [sha256.Size]byte
		if _, err := hex.Decode(key[:], []byte(h)); err == nil {
			delete(b.entries, b.byHash[key])
			delete(b.byHash, key)
			return
		}
	}
	clear(b.entries)
	clear(b.byHash)
}

// close stops reading the log; its error says whether reading had
// stopped before, in which case the measured map was not kept coherent.
func (b *bareMap) close() error {
	b.cancel()
	<-b.done
	b.conn.Close(context.Background())
	if b.err != nil {
		return fmt.Errorf("bare map: reading the change log: %w", b.err)
	}
	return nil
}
