package auth

import (
	"context"
	"sync"
)

// noticesSending counts, per Auth (its shared settings, which WithAdapter
// copies keep), the notices handed to the Notifier and not yet returned,
// for WaitNotices. An entry lives only while its count is above zero, so
// an Auth that is dropped leaves nothing behind. (It is a package-level
// map rather than a field of shared only to keep this change in the
// notice files; notices are rare, so the one lock costs nothing that
// matters.)
var noticesSending = struct {
	mu sync.Mutex
	m  map[*shared]*noticeCount
}{m: map[*shared]*noticeCount{}}

// noticeCount is the notices of one Auth being sent.
type noticeCount struct {
	n int
	// idle is closed when n drops to zero.
	idle chan struct{}
}

// startSending counts one more notice of s being sent.
func (s *shared) startSending() {
	noticesSending.mu.Lock()
	defer noticesSending.mu.Unlock()
	c := noticesSending.m[s]
	if c == nil {
		c = &noticeCount{idle: make(chan struct{})}
		noticesSending.m[s] = c
	}
	c.n++
}

// doneSending counts one notice of s less, waking WaitNotices when it was
// the last.
func (s *shared) doneSending() {
	noticesSending.mu.Lock()
	defer noticesSending.mu.Unlock()
	c := noticesSending.m[s]
	if c.n--; c.n == 0 {
		close(c.idle)
		delete(noticesSending.m, s)
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
	noticesSending.mu.Lock()
	c := noticesSending.m[a.shared]
	noticesSending.mu.Unlock()
	if c == nil {
		return nil
	}
	select {
	case <-c.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
