package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/sessioncache"
)

// memoryResult is the heap a full SessionCache holds.
type memoryResult struct {
	MaxEntries    int     `json:"max_entries"`
	Entries       int     `json:"entries"`
	HeapBytes     uint64  `json:"heap_bytes"`
	BytesPerEntry float64 `json:"bytes_per_entry"`
	// FillPasses is how many passes the fill took; Reread the reads of
	// the passes after the first, of sessions the cache may not have kept.
	FillPasses int `json:"fill_passes"`
	Reread     int `json:"reread"`
}

// measureMemory fills a SessionCache of cacheMemEntries entries with
// sessions and their users (GetSessionAndUser) and reports the live heap
// it added, measured after a GC on both sides.
//
// A read the cache answers from the database is not always kept: not
// while its reading of the change log lags by more than MaxLag (a busy
// machine), nor when an invalidation arrives during the read. One pass
// over the sessions can then leave the cache short of what the report
// says it holds, so the sessions whose read may have been declined are
// read again, up to memoryFillPasses passes in all, until none was.
func measureMemory(ctx context.Context, url string, store *luciapg.Store) (memoryResult, error) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	cache, err := startSessionCache(ctx, store, sessioncache.Config{ConnString: url, MaxEntries: cacheMemEntries})
	if err != nil {
		return memoryResult{}, err
	}
	defer cache.Close()
	r := memoryResult{MaxEntries: cacheMemEntries}
	ids := make([]string, cacheMemEntries)
	for n := range ids {
		ids[n] = dataset.SessionID(n/dataset.SessionsPerUser, n%dataset.SessionsPerUser)
	}
	for len(ids) > 0 {
		if r.FillPasses == memoryFillPasses {
			return memoryResult{}, fmt.Errorf("after %d passes the cache may still have declined %d of %d sessions (%+v)",
				memoryFillPasses, len(ids), cacheMemEntries, cache.Stats())
		}
		if r.FillPasses > 0 {
			logf("cache: memory fill pass %d: %d reads the cache may not have kept (it lagged or refused the insert); again", r.FillPasses, len(ids))
			r.Reread += len(ids)
		}
		if err := waitServing(cache); err != nil {
			return memoryResult{}, err
		}
		if ids, err = fillPass(ctx, cache, ids); err != nil {
			return memoryResult{}, err
		}
		r.FillPasses++
	}
	after := heap()
	// A cache split into shards, each with its share of MaxEntries, may
	// evict a little before it holds MaxEntries in all.
	r.Entries = cache.Stats().Entries
	if r.Entries > cacheMemEntries || r.Entries < cacheMemEntries*95/100 {
		return memoryResult{}, fmt.Errorf("the cache holds %d entries after reading %d sessions it kept, want %d or a little fewer", r.Entries, cacheMemEntries, cacheMemEntries)
	}
	r.HeapBytes = after - min(before, after)
	r.BytesPerEntry = float64(r.HeapBytes) / float64(r.Entries)
	runtime.KeepAlive(cache)
	logf("cache: %d entries hold %.1f MiB of heap: %.0f bytes per entry (%d fill passes, %d sessions read again)",
		r.Entries, float64(r.HeapBytes)/(1<<20), r.BytesPerEntry, r.FillPasses, r.Reread)
	return r, nil
}

// memoryFillPasses bounds the passes of the memory test's fill.
const memoryFillPasses = 10

// fillPass reads each of ids once through cache with 8 workers and
// returns those the cache may not have kept: a read during which the
// cache's count of declined reads (sent to the database while not
// serving or lagging, or refused on insert) grew. The counters are
// shared, so a read is suspect when any concurrent read was declined: a
// superset, and a session already kept is only a hit when read again.
func fillPass(ctx context.Context, cache *sessioncache.Cache, ids []string) ([]string, error) {
	declined := func() uint64 {
		s := cache.Stats()
		return s.Bypassed + s.Lagged + s.InsertsRefused
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		failure atomic.Pointer[error]
		suspect = make([][]string, 8)
	)
	for w := range suspect {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= len(ids) || failure.Load() != nil {
					return
				}
				before := declined()
				if _, _, err := cache.GetSessionAndUser(ctx, ids[n]); err != nil {
					failure.Store(&err)
					return
				}
				if declined() != before {
					suspect[w] = append(suspect[w], ids[n])
				}
			}
		})
	}
	wg.Wait()
	if err := failure.Load(); err != nil {
		return nil, *err
	}
	return slices.Concat(suspect...), nil
}

// waitServing waits until cache serves from memory again, as after a lag
// of its reading of the change log.
func waitServing(cache *sessioncache.Cache) error {
	for deadline := time.Now().Add(10 * time.Second); !cache.Stats().Serving; {
		if time.Now().After(deadline) {
			return errors.New("the session cache did not serve from memory within 10 s")
		}
		time.Sleep(cachePollInterval) // a benchmark's wait, not a test's
	}
	return nil
}
