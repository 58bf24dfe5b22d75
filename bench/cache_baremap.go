package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/rawpgx"
)

// bareMap is the ideal the SessionCache is measured against: a map behind
// an RWMutex, filled by the raw twin on a miss and emptied by the same
// notifications, with none of the cache's bounds (no LRU, no expiry, no
// epoch, no bypass) and no auth checks on a hit.
type bareMap struct {
	pool   luciapg.DB
	conn   *pgx.Conn
	cancel context.CancelFunc
	done   chan struct{}

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
	if _, err := conn.Exec(ctx, "LISTEN "+luciapg.SessionCacheChannel); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	b := &bareMap{pool: pool, conn: conn, cancel: cancel, done: make(chan struct{}),
		entries: map[string]bareEntry{}, byHash: map[[sha256.Size]byte]string{}}
	go b.listen(runCtx)
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

// listen drops what each notification names; a user's change (rare here)
// drops everything rather than keep a second index.
func (b *bareMap) listen(ctx context.Context) {
	defer close(b.done)
	for {
		n, err := b.conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		b.mu.Lock()
		if h, ok := strings.CutPrefix(n.Payload, "s:"); ok {
			var key [sha256.Size]byte
			if _, err := hex.Decode(key[:], []byte(h)); err == nil {
				delete(b.entries, b.byHash[key])
				delete(b.byHash, key)
			}
		} else {
			clear(b.entries)
			clear(b.byHash)
		}
		b.mu.Unlock()
	}
}

func (b *bareMap) close() {
	b.cancel()
	<-b.done
	b.conn.Close(context.Background())
}
