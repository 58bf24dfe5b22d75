package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

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
}

// measureMemory fills a SessionCache of cacheMemEntries entries with
// sessions and their users (GetSessionAndUser) and reports the live heap
// it added, measured after a GC on both sides.
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
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		failure atomic.Pointer[error]
	)
	for range 8 {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= cacheMemEntries || failure.Load() != nil {
					return
				}
				id := dataset.SessionID(n/dataset.SessionsPerUser, n%dataset.SessionsPerUser)
				if _, _, err := cache.GetSessionAndUser(ctx, id); err != nil {
					failure.Store(&err)
				}
			}
		})
	}
	wg.Wait()
	if err := failure.Load(); err != nil {
		return memoryResult{}, *err
	}
	after := heap()
	// A cache split into shards, each with its share of MaxEntries, may
	// evict a little before it holds MaxEntries in all.
	entries := cache.Stats().Entries
	if entries > cacheMemEntries || entries < cacheMemEntries*95/100 {
		return memoryResult{}, fmt.Errorf("the cache holds %d entries after %d distinct reads, want %d or a little fewer", entries, cacheMemEntries, cacheMemEntries)
	}
	r := memoryResult{MaxEntries: cacheMemEntries, Entries: entries, HeapBytes: after - min(before, after)}
	r.BytesPerEntry = float64(r.HeapBytes) / float64(entries)
	runtime.KeepAlive(cache)
	logf("cache: %d entries hold %.1f MiB of heap: %.0f bytes per entry", entries, float64(r.HeapBytes)/(1<<20), r.BytesPerEntry)
	return r, nil
}
