package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/memadapter"
)

// BenchmarkRefusalTiming (security review, finding 8) times the refusals
// a guesser can tell apart, interleaved in one process: a wrong password
// for a user whose hash is a legacy Lucia v1 one (scrypt r=8, no "s2"
// prefix), for a user with an "s2" hash, and any password for a user that
// does not exist (the dummy check). It reports each median and the ratio
// of the legacy and the s2 medians to the unknown user's: a ratio far from
// 1 is a timing oracle (before the fix, legacy/unknown was about 0.5).
//
//	go test -run '^$' -bench RefusalTiming -benchtime 40x ./auth/
func BenchmarkRefusalTiming(b *testing.B) {
	adapter := memadapter.New()
	// The guesses are many; the throttle must not answer them instead.
	unthrottled := luciapg.ThrottlePolicy{FreeAttempts: 1 << 30, BaseDelay: time.Second, MaxDelay: time.Second, Window: time.Second}
	a, err := auth.New(adapter, auth.Config{KeyThrottle: unthrottled})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	legacy := "0123456789abcdef:f60e4a8d634e226cf9f4621f3508668c2ad6645e6469c6a255bb0b4010da82a1380dcaf6b7460bae7a46eb58ecd555908c5f76748b72ae56d18bb5a58d606ba1"
	s2, err := auth.HashPassword("the right one")
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range []struct{ id, hash string }{{"legacy", legacy}, {"current", s2}} {
		hash := u.hash
		if _, err := adapter.SetUser(ctx, luciapg.User{ID: u.id}, &luciapg.Key{ID: "username:" + u.id, UserID: u.id, PrimaryKey: true, HashedPassword: &hash}); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct{ name, user string }{{"unknown", "nobody"}, {"legacy", "legacy"}, {"s2", "current"}}
	times := make([][]time.Duration, len(cases))
	for i := 0; b.Loop(); i++ {
		// Rotate the order, so that no case always follows the same one.
		for j := range cases {
			c := (i + j) % len(cases)
			start := time.Now()
			_, err := a.UseKey(ctx, "username", cases[c].user, "a wrong guess")
			times[c] = append(times[c], time.Since(start))
			if err == nil {
				b.Fatal("a wrong guess was accepted")
			}
		}
	}
	medians := make([]float64, len(cases))
	for c := range cases {
		slices.Sort(times[c])
		medians[c] = float64(times[c][len(times[c])/2]) / float64(time.Millisecond)
		b.ReportMetric(medians[c], cases[c].name+"-ms")
	}
	b.ReportMetric(medians[1]/medians[0], "legacy/unknown")
	b.ReportMetric(medians[2]/medians[0], "s2/unknown")
}
