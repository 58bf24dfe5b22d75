package adaptertest

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// throttleCases cover luciapg.AttemptThrottle, which luciapg's Store and
// memadapter implement beside Lucia's contract. They run for every adapter
// that implements it; see (*caseEnv).throttle for the others.
var throttleCases = []testCase{
	{"T1", "the free attempts pass at once, the next waits BaseDelay", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		p := testPolicy()
		for i := range p.FreeAttempts {
			c.wantAttempt(t, th, key, t0, p, 0, fmt.Sprintf("free attempt %d", i+1))
		}
		c.wantAttempt(t, th, key, t0, p, time.Second, "attempt after the free ones, at once")
		c.wantAttempt(t, th, key, t0.Add(999*time.Millisecond), p, time.Millisecond, "attempt 1 ms early")
		c.wantAttempt(t, th, key, t0.Add(time.Second), p, 0, "attempt when the block ends")
	}},
	{"T2", "each attempt beyond the free ones doubles the delay; refused attempts neither count nor extend it", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		p := testPolicy()
		now := t0
		for range p.FreeAttempts - 1 {
			c.wantAttempt(t, th, key, now, p, 0, "free attempt")
		}
		c.wantAttempt(t, th, key, now, p, 0, "last free attempt")
		for _, delay := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second} {
			// Hammering while blocked changes nothing.
			for range 3 {
				c.wantAttempt(t, th, key, now, p, delay, "attempt while blocked")
			}
			c.wantAttempt(t, th, key, now.Add(delay/2), p, delay/2, "attempt halfway through the block")
			now = now.Add(delay)
			c.wantAttempt(t, th, key, now, p, 0, fmt.Sprintf("attempt after waiting %v", delay))
		}
		c.wantAttempt(t, th, key, now, p, 32*time.Second, "attempt right after")
	}},
	{"T3", "the delay stops growing at MaxDelay", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		p := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Window: time.Hour}
		now := t0
		c.wantAttempt(t, th, key, now, p, 0, "free attempt")
		for i, delay := range []time.Duration{1, 2, 4, 8, 10, 10, 10} {
			delay *= time.Second
			c.wantAttempt(t, th, key, now, p, delay, fmt.Sprintf("blocked attempt %d", i+1))
			now = now.Add(delay)
			c.wantAttempt(t, th, key, now, p, 0, fmt.Sprintf("attempt %d after the block", i+1))
		}
	}},
	{"T4", "a key whose last counted attempt is older than Window starts again from zero", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		p := luciapg.ThrottlePolicy{FreeAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
		c.wantAttempt(t, th, key, t0, p, 0, "free attempt 1")
		c.wantAttempt(t, th, key, t0, p, 0, "free attempt 2")
		c.wantAttempt(t, th, key, t0, p, time.Second, "attempt 3")
		// Exactly Window later the count still stands: the 3rd counted
		// attempt blocks for 2 s.
		at := t0.Add(time.Hour)
		c.wantAttempt(t, th, key, at, p, 0, "attempt 3 after exactly Window")
		c.wantAttempt(t, th, key, at, p, 2*time.Second, "attempt 4 at once")
		// More than Window after the last counted attempt: free again.
		later := at.Add(time.Hour + time.Microsecond)
		c.wantAttempt(t, th, key, later, p, 0, "free attempt 1 of a new window")
		c.wantAttempt(t, th, key, later, p, 0, "free attempt 2 of a new window")
		c.wantAttempt(t, th, key, later, p, time.Second, "attempt 3 of a new window")
	}},
	{"T5", "ResetAttempts forgets the key's attempts and block; resetting an unknown key is a no-op", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		p := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Minute, MaxDelay: time.Hour, Window: time.Hour}
		c.wantAttempt(t, th, key, t0, p, 0, "free attempt")
		c.wantAttempt(t, th, key, t0, p, time.Minute, "blocked attempt")
		wantNoErr(t, "ResetAttempts", th.ResetAttempts(c.ctx, key))
		c.wantAttempt(t, th, key, t0, p, 0, "free attempt after the reset")
		c.wantAttempt(t, th, key, t0, p, time.Minute, "attempt after it")
		wantNoErr(t, "ResetAttempts of an unknown key", th.ResetAttempts(c.ctx, newThrottleKey()))
	}},
	{"T6", "keys are counted apart", func(t *testing.T, c *caseEnv) {
		th := c.throttle(t)
		blocked, other := newThrottleKey(), newThrottleKey()
		p := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Minute, MaxDelay: time.Hour, Window: time.Hour}
		c.wantAttempt(t, th, blocked, t0, p, 0, "free attempt on the first key")
		c.wantAttempt(t, th, blocked, t0, p, time.Minute, "blocked attempt on the first key")
		c.wantAttempt(t, th, other, t0, p, 0, "free attempt on the second key")
		wantNoErr(t, "ResetAttempts of the second key", th.ResetAttempts(c.ctx, other))
		c.wantAttempt(t, th, blocked, t0, p, time.Minute, "the first key after resetting the second")
		// Keys differing only in case or a trailing space are different keys.
		for _, k := range []string{strings.ToUpper(blocked), blocked + " "} {
			c.wantAttempt(t, th, k, t0, p, 0, "free attempt on a look-alike key")
		}
	}},
	{"T7", "every one of many concurrent attempts is counted", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		n := max(50, c.harness.Concurrency)
		// n free attempts: all pass, and had any not been counted, the
		// attempt after them would be free too.
		p := luciapg.ThrottlePolicy{FreeAttempts: n, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
		for i, got := range c.concurrentAttempts(t, th, key, n, p) {
			if got != 0 {
				t.Fatalf("concurrent attempt %d of %d free ones: retry after %v, want 0", i, n, got)
			}
		}
		c.wantAttempt(t, th, key, t0, p, time.Second, fmt.Sprintf("attempt after %d concurrent ones", n))
	}},
	{"T8", "of many concurrent attempts at one instant exactly the free ones pass, the rest are refused", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		n := max(50, c.harness.Concurrency)
		p := testPolicy()
		passed := 0
		for i, got := range c.concurrentAttempts(t, th, key, n, p) {
			switch got {
			case 0:
				passed++
			case p.BaseDelay:
			default:
				t.Fatalf("concurrent attempt %d: retry after %v, want 0 or %v", i, got, p.BaseDelay)
			}
		}
		if passed != p.FreeAttempts {
			t.Fatalf("%d of %d concurrent attempts passed, want exactly the %d free ones", passed, n, p.FreeAttempts)
		}
		// The refused ones were not counted: after the block, the next
		// attempt is the 6th counted one and passes, the 7th waits 2 s.
		c.wantAttempt(t, th, key, t0.Add(p.BaseDelay), p, 0, "attempt when the block ends")
		c.wantAttempt(t, th, key, t0.Add(p.BaseDelay), p, 2*time.Second, "attempt after it")
	}},
	{"T9", "unstorable keys and bad times are refused with ErrInvalidInput, bad policies with ErrInvalidConfig, and count nothing", func(t *testing.T, c *caseEnv) {
		th := c.throttle(t)
		p := testPolicy()
		badKeys := map[string]string{
			"empty":        "",
			"NUL":          "key:ada\x00lovelace",
			"invalid UTF8": "addr:\xff\xfe",
			"too long":     "key:" + strings.Repeat("x", luciapg.MaxIDBytes),
		}
		for name, key := range badKeys {
			_, err := th.CountAttempt(c.ctx, key, t0, p)
			wantInputErrorWithout(t, "CountAttempt with a key "+name, err, key)
			wantInputErrorWithout(t, "ResetAttempts with a key "+name, th.ResetAttempts(c.ctx, key), key)
		}
		// The longest storable key works.
		longest := "key:" + strings.Repeat("y", luciapg.MaxIDBytes-4)
		c.wantAttempt(t, th, longest, t0, p, 0, "attempt on a key of MaxIDBytes")
		wantNoErr(t, "ResetAttempts of a key of MaxIDBytes", th.ResetAttempts(c.ctx, longest))

		key := newThrottleKey()
		badPolicies := map[string]luciapg.ThrottlePolicy{
			"negative FreeAttempts":        {FreeAttempts: -1, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour},
			"zero BaseDelay":               {FreeAttempts: 5, MaxDelay: time.Minute, Window: time.Hour},
			"negative BaseDelay":           {FreeAttempts: 5, BaseDelay: -time.Second, MaxDelay: time.Minute, Window: time.Hour},
			"sub-microsecond BaseDelay":    {FreeAttempts: 5, BaseDelay: time.Nanosecond, MaxDelay: time.Minute, Window: time.Hour},
			"MaxDelay below BaseDelay":     {FreeAttempts: 5, BaseDelay: time.Minute, MaxDelay: time.Second, Window: time.Hour},
			"Window shorter than MaxDelay": {FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Hour, Window: time.Minute},
			"zero policy":                  {},
		}
		for name, bad := range badPolicies {
			_, err := th.CountAttempt(c.ctx, key, t0, bad)
			wantErr(t, "CountAttempt with "+name, err, luciapg.ErrInvalidConfig)
		}
		for name, now := range map[string]time.Time{
			"the zero time":     {},
			"a time after 9999": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			_, err := th.CountAttempt(c.ctx, key, now, p)
			wantErr(t, "CountAttempt at "+name, err, luciapg.ErrInvalidInput)
		}
		// None of the refused calls was counted: the key has all its free
		// attempts.
		for range p.FreeAttempts {
			c.wantAttempt(t, th, key, t0, p, 0, "free attempt after the refused calls")
		}
		c.wantAttempt(t, th, key, t0, p, p.BaseDelay, "attempt after the free ones")
	}},
	{"T10", "extreme policies neither overflow nor wrap: the delay stays at MaxDelay", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		longest := time.Duration(math.MaxInt64)
		p := luciapg.ThrottlePolicy{FreeAttempts: 0, BaseDelay: time.Microsecond, MaxDelay: longest, Window: longest}
		now := t0
		var last time.Duration
		for i := range 70 {
			c.wantAttempt(t, th, key, now, p, 0, fmt.Sprintf("attempt %d after the block", i+1))
			got, err := th.CountAttempt(c.ctx, key, now, p)
			wantNoErr(t, "CountAttempt", err)
			if got < last || got <= 0 || got > longest {
				t.Fatalf("blocked attempt %d: retry after %v, after %v the time before", i+1, got, last)
			}
			last = got
			if now.Year() > 9000 {
				break // the next block could end after the year 9999
			}
			now = now.Add(got)
		}
		if last < longest-time.Second {
			t.Fatalf("the delay reached %v, want MaxDelay %v", last, longest)
		}
	}},
	{"T11", "a time with nanoseconds counts at its microsecond, the resolution of timestamptz", func(t *testing.T, c *caseEnv) {
		th, key := c.throttle(t), newThrottleKey()
		p := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
		c.wantAttempt(t, th, key, t0.Add(999*time.Nanosecond), p, 0, "free attempt")
		c.wantAttempt(t, th, key, t0.Add(500*time.Nanosecond), p, time.Second, "blocked attempt in the same microsecond")
		c.wantAttempt(t, th, key, t0.Add(time.Second+time.Nanosecond), p, 0, "attempt when the block ends")
	}},
	{"T12", "an attempt whose clock reads earlier than the last counted one is counted as if made with it, never refused by a free attempt", func(t *testing.T, c *caseEnv) {
		// Concurrent calls read the clock, then reach the row in another
		// order (and instances' clocks differ): a free attempt must not
		// block one that read the clock a moment before it.
		th, key := c.throttle(t), newThrottleKey()
		p := luciapg.ThrottlePolicy{FreeAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
		c.wantAttempt(t, th, key, t0.Add(10*time.Millisecond), p, 0, "free attempt")
		c.wantAttempt(t, th, key, t0, p, 0, "free attempt with an earlier clock")
		// That second attempt used up the free ones, at the later clock.
		c.wantAttempt(t, th, key, t0.Add(10*time.Millisecond), p, time.Second, "attempt after the free ones")
		c.wantAttempt(t, th, key, t0.Add(time.Second+10*time.Millisecond), p, 0, "attempt when the block ends")
	}},
}

// t0 is the fake clock's start: the throttle takes the time from its
// caller, so no case waits for the real one.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// testPolicy is the policy of the contract's example: five free attempts,
// then 1 s, 2 s, 4 s … at most 15 minutes.
func testPolicy() luciapg.ThrottlePolicy {
	return luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, Window: time.Hour}
}

func newThrottleKey() string { return "key:test:" + randomString(12) }

// throttle returns the adapter under test as an AttemptThrottle. An adapter
// without it gets a skip naming what was not run, since Lucia's contract
// does not include the throttle; but the Store and memadapter must
// implement it (their packages also assert it at compile time), so for
// them a missing implementation fails rather than skips.
func (c *caseEnv) throttle(t *testing.T) luciapg.AttemptThrottle {
	t.Helper()
	if th, ok := c.adapter.(luciapg.AttemptThrottle); ok {
		return th
	}
	typ := reflect.TypeOf(c.adapter)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if strings.HasPrefix(typ.PkgPath(), "github.com/luciapg/luciapg") {
		t.Fatalf("%T does not implement luciapg.AttemptThrottle", c.adapter)
	}
	t.Skipf("%T does not implement luciapg.AttemptThrottle, luciapg's addition to Lucia's contract: throttle case not run", c.adapter)
	return nil
}

// wantAttempt makes one CountAttempt call and fails unless it returns
// want.
func (c *caseEnv) wantAttempt(t *testing.T, th luciapg.AttemptThrottle, key string, now time.Time, p luciapg.ThrottlePolicy, want time.Duration, what string) {
	t.Helper()
	got, err := th.CountAttempt(c.ctx, key, now, p)
	if err != nil {
		t.Fatalf("CountAttempt, %s: %v", what, err)
	}
	if got != want {
		t.Fatalf("CountAttempt, %s: retry after %v, want %v", what, got, want)
	}
}

// concurrentAttempts makes n CountAttempt calls on key at t0 at once and
// returns what each returned.
func (c *caseEnv) concurrentAttempts(t *testing.T, th luciapg.AttemptThrottle, key string, n int, p luciapg.ThrottlePolicy) []time.Duration {
	t.Helper()
	retries := make([]time.Duration, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			retries[i], errs[i] = th.CountAttempt(c.ctx, key, t0, p)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent CountAttempt: %v", err)
	}
	return retries
}

// wantInputErrorWithout fails unless err is ErrInvalidInput and its text
// leaves out secret, which may be a client's address or account name.
func wantInputErrorWithout(t *testing.T, op string, err error, secret string) {
	t.Helper()
	wantErr(t, op, err, luciapg.ErrInvalidInput)
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Fatalf("%s: the error repeats the key: %v", op, err)
	}
}
