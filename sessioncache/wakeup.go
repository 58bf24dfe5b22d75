package sessioncache

import (
	"context"
	"sync/atomic"
	"time"
)

// Wake-ups: a revocation through a cache (a session or user deleted, a
// user changed) is announced, once the write has returned, by a NOTIFY in
// a transaction of its own; every cache that listens reads the log at
// once instead of at its next poll, so another process stops serving the
// revoked session within a round trip or two, not a PollInterval. The
// NOTIFY is never sent inside the writing transaction: there it would
// make every concurrent commit queue for PostgreSQL's notification lock
// (the serialization the change log replaced). A wake-up carries nothing
// but "read the log": the log stays the one source of what changed, and
// the poll stays the safety net for changes nobody announces (a Lucia v1
// app, psql, a write inside a caller's transaction, a lost notification).

// wakeups is a Cache's side of the wake-ups.
type wakeups struct {
	// announce holds one pending announcement of a revocation through this
	// cache: more while one is pending are the same wake-up.
	announce chan struct{}
	// interrupt, while the follower waits on its connection, cancels the
	// wait so that it sends a pending announcement now.
	interrupt atomic.Pointer[context.CancelFunc]
	// sent counts announcements sent; woken, reads of the log begun early
	// because another cache (or this one) announced a revocation.
	sent, woken counter
	// gap is the shortest time between two announcements sent, and between
	// the starts of two reads of the log when wake-ups come faster:
	// PollInterval / 5 (2 ms by default). In a storm (an announcement
	// waiting less than gap after the previous was sent; a wake-up less
	// than gap after a read that was itself woken) the follower's gap
	// doubles, up to PollInterval, so that a storm of revocations costs a
	// cache about what its poll does; a lone revocation, or a series of
	// them spaced by more than gap, is seen within gap. Only the
	// follower's goroutine uses the fields below.
	gap              time.Duration
	sendGap, readGap time.Duration
	lastSent         time.Time
	// noticed is true once the follower has sized the send gap for the
	// pending announcement.
	noticed bool
	// lastReadWoken is true when the latest read of the log was woken.
	lastReadWoken bool
}

// revoked announces a revocation through this cache to the other caches.
// It returns at once: the follower sends the NOTIFY.
func (c *Cache) revoked() {
	select {
	case c.wakeups.announce <- struct{}{}:
	default:
		return // one is pending: it covers this revocation too
	}
	if cancel := c.wakeups.interrupt.Load(); cancel != nil {
		(*cancel)()
	}
}

// stormGap is the gap after the current one, cur: doubled (up to
// PollInterval) in a storm, else the quiet spell's gap.
func (c *Cache) stormGap(cur time.Duration, storm bool) time.Duration {
	if !storm || cur == 0 {
		return c.wakeups.gap
	}
	return min(2*cur, c.cfg.PollInterval)
}

// revokedSession evicts a session a write through this cache changed,
// and announces it.
func (c *Cache) revokedSession(key cacheKey) {
	c.evictSession(key, &c.stats.evictedLocal)
	c.revoked()
}

// revokedUser evicts the sessions of a user a write through this cache
// changed, and announces it.
func (c *Cache) revokedUser(key cacheKey) {
	c.evictUser(key, &c.stats.evictedLocal)
	c.revoked()
}

// waitForPoll returns once the next read of the log is due: PollInterval
// after last, the start of the previous one, or sooner (but not before
// the read gap after last) when a wake-up arrives. Announcements of this
// cache's own revocations are sent meanwhile, at most one per send gap.
// An error is the connection's, or ctx's.
func (c *Cache) waitForPoll(ctx context.Context, f *follower, last time.Time) error {
	w := &c.wakeups
	due := last.Add(c.cfg.PollInterval)
	for {
		if now := time.Now(); len(w.announce) > 0 {
			if !w.noticed {
				w.noticed = true
				w.sendGap = c.stormGap(w.sendGap, now.Sub(w.lastSent) < w.gap)
			}
			if !now.Before(w.lastSent.Add(w.sendGap)) {
				<-w.announce
				if err := f.q.WakeSessionCaches(ctx); err != nil {
					return err
				}
				w.sent.Add(1)
				w.lastSent, w.noticed = now, false
				continue // one made meanwhile is noticed at once: a storm
			}
		}
		until := due
		if len(w.announce) > 0 {
			until = minTime(until, w.lastSent.Add(w.sendGap))
		}
		woken, err := c.waitOnce(ctx, f, until)
		if err != nil {
			return err
		}
		if woken {
			w.woken.Add(1)
			w.readGap = c.stormGap(w.readGap, w.lastReadWoken && time.Since(last) < w.gap)
			w.lastReadWoken = true
			return sleepUntil(ctx, minTime(last.Add(w.readGap), due))
		}
		if !time.Now().Before(due) {
			w.lastReadWoken = false
			return nil
		}
		// Interrupted by an announcement, or its send gap is over.
	}
}

// waitOnce waits until due for a wake-up (woken), or until interrupted
// by an announcement of this cache's (neither woken nor an error).
func (c *Cache) waitOnce(ctx context.Context, f *follower, due time.Time) (woken bool, err error) {
	wait, cancel := context.WithDeadline(ctx, due)
	defer cancel()
	c.wakeups.interrupt.Store(&cancel)
	defer c.wakeups.interrupt.Store(nil)
	// An announcement made before the interrupt was stored found nothing
	// to cancel: it is seen here.
	if w := &c.wakeups; len(w.announce) > 0 && !time.Now().Before(w.lastSent.Add(w.sendGap)) {
		return false, nil
	}
	if !f.listening {
		// Through a pooler: no wake-ups, only the poll and announcements.
		<-wait.Done()
		return false, ctx.Err()
	}
	if _, err := f.conn.WaitForNotification(wait); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// Due, or interrupted: pgconn reports either as a timeout, or, when
		// the wait was over before it began, as a context error; the
		// connection stays usable unless pgconn closed it.
		if wait.Err() != nil && !f.conn.IsClosed() {
			return false, nil
		}
		return false, err
	}
	// Wake-ups that arrived with this one, or during the last read, are
	// all answered by the next read: drop those pgx has buffered (a done
	// context returns them without reading the socket).
	for {
		done, cancelDone := context.WithCancel(ctx)
		cancelDone()
		if n, _ := f.conn.WaitForNotification(done); n == nil {
			break
		}
	}
	return true, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// sleepUntil waits until t, or for ctx.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
