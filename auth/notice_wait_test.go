package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// gatedNotifier records notices, each Notify waiting for the gate to open
// first.
type gatedNotifier struct {
	noticeRecorder
	gate chan struct{}
}

func (g *gatedNotifier) Notify(ctx context.Context, notice auth.Notice) error {
	<-g.gate
	return g.noticeRecorder.Notify(ctx, notice)
}

// WaitNotices returns once the notices handed over so far were sent, by
// the Auth or a WithAdapter copy of it, and with ctx's error while one is
// still being sent. Without a Notifier, or with none in flight, it returns
// at once.
func TestWaitNotices(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := luciapg.New(testdb.New(t))

	plain := mustAuth(auth.New(store, auth.Config{PasswordHasher: fastHasher{}}))
	plain.Notify(ctx, auth.Notice{Kind: auth.NoticePasswordChanged, UserID: "u1"})
	wantNoErr(t, "WaitNotices without a Notifier", plain.WaitNotices(ctx))

	notifier := &gatedNotifier{gate: make(chan struct{})}
	a := mustAuth(auth.New(store, auth.Config{PasswordHasher: fastHasher{}, Notifier: notifier}))
	wantNoErr(t, "WaitNotices with nothing sent", a.WaitNotices(ctx))
	const n = 5
	for i := range n {
		core := a
		if i%2 == 1 {
			core = a.WithAdapter(store) // as in a transaction
		}
		core.Notify(ctx, auth.Notice{Kind: auth.NoticePasswordChanged, UserID: "u1"})
	}
	// Every Notify is held at the gate: a context that has ended ends
	// the wait, with its error.
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := a.WithAdapter(store).WaitNotices(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitNotices while notices are being sent, ctx ended: %v, want context.Canceled", err)
	}
	close(notifier.gate)
	waitCtx, cancelWait := context.WithTimeout(ctx, noticeDeadline)
	defer cancelWait()
	wantNoErr(t, "WaitNotices", a.WaitNotices(waitCtx))
	// No waiting here: WaitNotices returned, so every notice was sent.
	if got := notifier.count(auth.NoticePasswordChanged); got != n {
		t.Errorf("after WaitNotices %d notices were sent, want %d", got, n)
	}
	wantNoErr(t, "WaitNotices again", a.WaitNotices(ended))
}
