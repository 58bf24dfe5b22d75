package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// noticeDeadline is how long a test waits for a notice sent in the
// background before failing: far beyond what sending one takes.
const noticeDeadline = 30 * time.Second

// noticeRecorder is a Notifier that keeps what it is given.
type noticeRecorder struct {
	mu      sync.Mutex
	notices []auth.Notice
	wake    chan struct{}
}

func (n *noticeRecorder) Notify(_ context.Context, notice auth.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notices = append(n.notices, notice)
	if n.wake != nil {
		close(n.wake)
		n.wake = nil
	}
	return nil
}

// all returns the notices received so far.
func (n *noticeRecorder) all() []auth.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]auth.Notice(nil), n.notices...)
}

// count is how many notices of kind were received so far.
func (n *noticeRecorder) count(kind auth.NoticeKind) int {
	c := 0
	for _, notice := range n.all() {
		if notice.Kind == kind {
			c++
		}
	}
	return c
}

// waitFor waits until want notices of kind were received, and returns the
// last of them; after noticeDeadline the test fails.
func (n *noticeRecorder) waitFor(t *testing.T, kind auth.NoticeKind, want int) auth.Notice {
	t.Helper()
	deadline := time.After(noticeDeadline)
	for {
		n.mu.Lock()
		var found []auth.Notice
		for _, notice := range n.notices {
			if notice.Kind == kind {
				found = append(found, notice)
			}
		}
		if len(found) >= want {
			n.mu.Unlock()
			return found[len(found)-1]
		}
		if n.wake == nil {
			n.wake = make(chan struct{})
		}
		wake := n.wake
		n.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("%d %s notices within %v, want %d", len(found), kind, noticeDeadline, want)
		}
	}
}

// allAuditEvents reads every event of the log (of user, or everyone's for
// ""), newest first, page by page.
func allAuditEvents(t *testing.T, a *auth.Auth, userID string) []luciapg.AuditEvent {
	t.Helper()
	var all []luciapg.AuditEvent
	query := luciapg.AuditQuery{UserID: userID, Limit: 7} // small pages: the paging is read too
	for {
		page, err := a.AuditEvents(t.Context(), query)
		wantNoErr(t, "AuditEvents", err)
		all = append(all, page...)
		if len(page) < query.Limit {
			return all
		}
		query.Before = page[len(page)-1].ID
	}
}

// kinds counts the events of each kind.
func kinds(events []luciapg.AuditEvent) map[string]int {
	m := map[string]int{}
	for _, ev := range events {
		m[ev.Kind]++
	}
	return m
}

// clientA and clientB are two clients of one user: a laptop and a phone.
func clientA(ctx context.Context) context.Context {
	return auth.WithClient(ctx, "192.0.2.10", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
}

func clientB(ctx context.Context) context.Context {
	return auth.WithClient(ctx, "2001:db8:1:2::77", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1")
}
