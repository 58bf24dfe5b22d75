package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luciapg/luciapg/bench/internal/cputime"
)

// errExhausted ends a worker whose phase has used up the rows prepared for
// it. It is not a failure: the phase simply ends early.
var errExhausted = errors.New("prepared rows used up")

// worker is one goroutine's state while it drives an operation.
type worker struct {
	index int
	rng   *rand.Rand
	// seq counts the worker's calls, for ids that must be fresh.
	seq   int
	phase *phase
}

// user picks a seeded user at random.
func (w *worker) user(users int) int { return w.rng.IntN(users) }

// phase is what the workers of one measured run of one operation share.
type phase struct {
	// tag makes the ids of rows the phase creates unique to it.
	tag string
	// next hands out prepared rows 0, 1, ... up to limit.
	next  atomic.Int64
	limit int64
}

// take returns the next prepared row, or errExhausted.
func (p *phase) take() (int64, error) {
	n := p.next.Add(1) - 1
	if n >= p.limit {
		return 0, errExhausted
	}
	return n, nil
}

// measurement is the outcome of one measured run.
type measurement struct {
	ops       int64
	elapsed   time.Duration
	latencies []time.Duration // sorted
	// clientCPU is the CPU time this process used during the run.
	clientCPU time.Duration
}

// clientCPUPerOp is the client's CPU time per call.
func (m measurement) clientCPUPerOp() time.Duration {
	return m.clientCPU / time.Duration(max(m.ops, 1))
}

func (m measurement) opsPerSec() float64 { return float64(m.ops) / m.elapsed.Seconds() }

// drive runs call on workers goroutines, each until the deadline, until
// stop is closed (nil: never) or until its phase is exhausted, and returns
// every call's latency (sorted) when record is set. The first error ends
// all workers and is returned.
func drive(ctx context.Context, workers []*worker, deadline time.Time, stop <-chan struct{}, record bool, call func(context.Context, *worker) error) (measurement, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		latencies = make([][]time.Duration, len(workers))
		ends      = make([]time.Time, len(workers))
	)
	for i, w := range workers {
		wg.Go(func() {
			var lat []time.Duration
			if record {
				lat = make([]time.Duration, 0, 1<<15)
			}
			<-start
			for ctx.Err() == nil && !closed(stop) {
				began := time.Now()
				if !began.Before(deadline) {
					break
				}
				err := call(ctx, w)
				took := time.Since(began)
				w.seq++
				if errors.Is(err, errExhausted) {
					break
				}
				if err != nil {
					cancel(err)
					break
				}
				if record {
					lat = append(lat, took)
				}
			}
			latencies[i] = lat
			ends[i] = time.Now()
		})
	}
	began, cpuBefore := time.Now(), cputime.Process()
	close(start)
	wg.Wait()
	cpu := cputime.Process() - cpuBefore
	if err := context.Cause(ctx); err != nil {
		return measurement{}, err
	}
	m := measurement{latencies: slices.Concat(latencies...), clientCPU: cpu}
	m.ops = int64(len(m.latencies))
	m.elapsed = slices.MaxFunc(ends, func(a, b time.Time) int { return a.Compare(b) }).Sub(began)
	slices.Sort(m.latencies)
	return m, nil
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// newWorkers returns n workers of phase ph; workers made with the same
// seed draw the same random sequence.
func newWorkers(ph *phase, n int, seed uint64) []*worker {
	ws := make([]*worker, n)
	for i := range ws {
		ws[i] = &worker{index: i, rng: rand.New(rand.NewPCG(seed, uint64(i))), phase: ph}
	}
	return ws
}

// runPhase warms up for warmup, then measures for duration, calling call
// from workers goroutines that draw the same random sequence for the same
// seed.
func runPhase(ctx context.Context, ph *phase, workers int, seed uint64, warmup, duration time.Duration, call func(context.Context, *worker) error) (measurement, error) {
	ws := newWorkers(ph, workers, seed)
	if warmup > 0 {
		if _, err := drive(ctx, ws, time.Now().Add(warmup), nil, false, call); err != nil {
			return measurement{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	m, err := drive(ctx, ws, time.Now().Add(duration), nil, true, call)
	if err == nil && m.ops == 0 {
		err = errors.New("no call completed; prepare more rows or shorten the warm-up")
	}
	return m, err
}
