package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/memadapter"
)

// recordingSeen is a DeviceAdapter's RecordSessionsSeen that keeps what
// it is given, or fails.
type recordingSeen struct {
	luciapg.ThrottlingAdapter
	luciapg.DeviceAdapter
	mu      sync.Mutex
	written []luciapg.SessionSeen
	fail    bool
}

func (r *recordingSeen) RecordSessionsSeen(_ context.Context, seen []luciapg.SessionSeen) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("the database is down")
	}
	r.written = append(r.written, seen...)
	return nil
}

func newRecordingSeen() *recordingSeen {
	m := memadapter.New()
	return &recordingSeen{ThrottlingAdapter: m, DeviceAdapter: m}
}

func (l *lastSeen) pendingCount() (pending, marked int) {
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		pending += len(sh.pending)
		marked += len(sh.marked)
		sh.mu.Unlock()
	}
	return pending, marked
}

// The marks waiting for a write are bounded (a use past the bound is not
// marked, and is tried again at the session's next use), and the marks
// kept to skip uses within the interval are forgotten once the interval
// has passed: memory stays bounded however many sessions come and go.
func TestLastSeenBounds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	adapter := newRecordingSeen()
	l := newLastSeen(adapter, time.Minute, clock)
	l.flushDelay = time.Hour // the test flushes itself
	ctx := context.Background()
	const sessions = lastSeenShards*maxPendingPerShard + 5000
	for i := range sessions {
		l.mark(ctx, fmt.Sprintf("session-%06d", i), now.UnixMilli())
	}
	pending, marked := l.pendingCount()
	if pending > lastSeenShards*maxPendingPerShard || pending < sessions/2 || marked != pending {
		t.Fatalf("%d marks pending, %d kept, after %d sessions: want at most %d pending, and a mark kept only with a write pending", pending, marked, sessions, lastSeenShards*maxPendingPerShard)
	}
	if err := l.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(adapter.written) != pending {
		t.Fatalf("the flush wrote %d marks, want %d", len(adapter.written), pending)
	}
	if p, m := l.pendingCount(); p != 0 || m != marked {
		t.Fatalf("after the flush: %d pending, %d kept; want 0 and %d (within the interval)", p, m, marked)
	}
	now = now.Add(time.Minute)
	if err := l.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if p, m := l.pendingCount(); p != 0 || m != 0 {
		t.Fatalf("a flush past the interval kept %d pending, %d marks; want none", p, m)
	}
}

// A failed write keeps its marks for the next flush, one per session (its
// latest), and the next flush writes them.
func TestLastSeenKeepsMarksAfterAFailedWrite(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	adapter := newRecordingSeen()
	l := newLastSeen(adapter, time.Minute, func() time.Time { return now })
	l.flushDelay = time.Hour
	ctx := context.Background()
	l.mark(ctx, "a", now.UnixMilli())
	l.mark(ctx, "b", now.UnixMilli())
	adapter.fail = true
	if err := l.flush(ctx); err == nil {
		t.Fatal("the flush hid the adapter's error")
	}
	now = now.Add(2 * time.Minute)
	l.mark(ctx, "a", now.UnixMilli()) // a later use of a, past the interval
	adapter.fail = false
	if err := l.flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, s := range adapter.written {
		if _, dup := got[s.SessionID]; dup {
			t.Fatalf("session %s written twice in one flush", s.SessionID)
		}
		got[s.SessionID] = s.At
	}
	if len(got) != 2 || !got["a"].Equal(now) || got["b"].IsZero() {
		t.Fatalf("written %v, want a at its latest use (%v) and b", got, now)
	}
}

// cleanUserAgent keeps an ordinary header as it is, drops what cannot be
// stored or printed safely, and cuts at a character boundary. Not
// parallel: it counts allocations.
func TestCleanUserAgent(t *testing.T) {
	ordinary := "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	long := strings.Repeat("é", luciapg.MaxUserAgentBytes) // 2 bytes each
	for _, tt := range []struct{ name, in, want string }{
		{"ordinary", ordinary, ordinary},
		{"empty", "", ""},
		{"NUL and line breaks", "a\x00b\r\nc\td", "abcd"},
		{"invalid UTF-8", "a\xffb\xc3", "ab"},
		{"bidirectional override", "safe\u202egnp.exe", "safegnp.exe"},
		{"cut at a character", long, long[:luciapg.MaxUserAgentBytes]},
		{"cut at a character, odd", "x" + long, "x" + long[:luciapg.MaxUserAgentBytes-2]},
	} {
		got := cleanUserAgent(tt.in)
		if got != tt.want || !utf8.ValidString(got) || len(got) > luciapg.MaxUserAgentBytes {
			t.Errorf("%s: cleanUserAgent = %q (%d bytes), want %q", tt.name, firstN(got, 40), len(got), firstN(tt.want, 40))
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = cleanUserAgent(ordinary) }); n != 0 {
		t.Errorf("cleaning an ordinary user agent allocates %v times, want 0", n)
	}
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// BenchmarkLastSeenMark is what a validation adds for its session's last
// use once the session is marked for the interval: a hash, a lock and a
// map lookup; for one session, spread over 10,000, and from every core at
// once over the 10,000.
func BenchmarkLastSeenMark(b *testing.B) {
	l := newLastSeen(newRecordingSeen(), time.Hour, time.Now)
	ctx := context.Background()
	now := time.Now().UnixMilli()
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%040d", i)
		l.mark(ctx, ids[i], now)
	}
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.mark(ctx, ids[0], now)
		}
	})
	b.Run("spread", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			l.mark(ctx, ids[i%len(ids)], now)
			i += 7919
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				l.mark(ctx, ids[i%len(ids)], now)
				i += 7919
			}
		})
	})
}
