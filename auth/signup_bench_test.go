package auth_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// BenchmarkLoginDuringSignUpFlood (security review, finding 7) times a
// login (real scrypt) alone and while 16 clients post sign-ups from one
// address as fast as they are answered, interleaved round by round, and
// reports both medians and their ratio. Before the fix every flood
// sign-up hashed, in the logins' turns: logins were many times slower.
//
//	go test -run '^$' -bench LoginDuringSignUpFlood -benchtime 20x ./auth/
func BenchmarkLoginDuringSignUpFlood(b *testing.B) {
	unthrottled := luciapg.ThrottlePolicy{FreeAttempts: 1 << 30, BaseDelay: time.Second, MaxDelay: time.Second, Window: time.Second}
	a, err := auth.New(memadapter.New(), auth.Config{KeyThrottle: unthrottled, AddressThrottle: unthrottled})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if _, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "right"}}); err != nil {
		b.Fatal(err)
	}
	login := func() time.Duration {
		start := time.Now()
		if _, err := a.UseKey(ctx, "username", "ada", "right"); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var quiet, flooded []time.Duration
	var signUps atomic.Int64
	for b.Loop() {
		quiet = append(quiet, login())
		floodCtx, stop := context.WithCancel(auth.WithClientAddress(ctx, "203.0.113.7"))
		started := signUps.Load()
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for floodCtx.Err() == nil {
					n := signUps.Add(1)
					_, _ = a.CreateUser(floodCtx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: fmt.Sprintf("flood%d", n), Password: "pw"}})
				}
			})
		}
		for signUps.Load() < started+32 { // every client has posted, and is posting again
			time.Sleep(time.Millisecond)
		}
		flooded = append(flooded, login())
		stop()
		wg.Wait()
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / float64(time.Millisecond)
	}
	q, f := median(quiet), median(flooded)
	b.ReportMetric(q, "quiet-ms")
	b.ReportMetric(f, "flooded-ms")
	b.ReportMetric(f/q, "flooded/quiet")
}
