package auth

import (
	"context"
	"sync"
)

// noticeCount counts the notices of one Auth (its shared settings, which
// the copies WithAdapter and HoldNotices make keep) handed to the Notifier
// and not yet returned, for WaitNotices.
type noticeCount struct {
	mu sync.Mutex
	n  int
	// idle is closed when n drops to zero; nil while none is being sent.
	idle chan struct{}
}

// startSending counts one more notice of s being sent.
func (s *shared) startSending() {
	c := &s.sending
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		c.idle = make(chan struct{})
	}
	c.n++
}

// doneSending counts one notice of s less, waking WaitNotices when it was
// the last.
func (s *shared) doneSending() {
	c := &s.sending
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 {
		close(c.idle)
		c.idle = nil
	}
}

// WaitNotices returns once every notice handed to the Notifier so far
// (by this Auth, or any Auth that WithAdapter made from the same one) has
// returned from Notify, or with ctx's error when ctx ends first. A
// shutdown calls it after the server stopped and before it closes what
// the Notifier uses (the database, the mail client): the core sends in
// the background, so the last requests' notices may still be going out.
//
// It waits until none is being sent, so notices handed over while it
// waits are waited for too; notices held by HoldNotices and not yet sent
// are not. Without a Notifier it returns at once.
func (a *Auth) WaitNotices(ctx context.Context) error {
	c := &a.sending
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
