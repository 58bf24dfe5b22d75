package auth_test

import (
	"context"
	"sync"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// waitNotices waits for the notices a is sending, failing the test after
// noticeDeadline.
func waitNotices(t *testing.T, a *auth.Auth) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), noticeDeadline)
	defer cancel()
	wantNoErr(t, "WaitNotices", a.WaitNotices(ctx))
}

// A password changed in the application's transaction (the core made
// with WithAdapter on it) is noticed only if the transaction commits: a
// rollback sends nothing, a commit sends exactly one notice, and not
// before the commit.
func TestHeldNoticeFollowsTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := testdb.New(t)
	notices := &noticeRecorder{}
	a := mustAuth(auth.New(luciapg.New(pool), auth.Config{PasswordHasher: fastHasher{}, Notifier: notices}))
	_, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "old password"}})
	wantNoErr(t, "CreateUser", err)

	// changePassword changes ada's password in a transaction, with the
	// notices held, and commits it or rolls it back.
	changePassword := func(password string, commit bool) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		wantNoErr(t, "Begin", err)
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		core, held := a.WithAdapter(luciapg.New(tx)).HoldNotices()
		defer held.Discard()
		_, err = core.UpdateKeyPassword(clientA(ctx), "username", "ada", password)
		wantNoErr(t, "UpdateKeyPassword", err)
		waitNotices(t, a)
		if got := notices.count(auth.NoticePasswordChanged); got != 0 {
			t.Fatalf("%d notices sent before the transaction ended, want 0", got)
		}
		if !commit {
			wantNoErr(t, "Rollback", tx.Rollback(ctx))
			held.Discard()
			return
		}
		wantNoErr(t, "Commit", tx.Commit(ctx))
		held.Send()
	}

	changePassword("rolled back", false)
	waitNotices(t, a)
	if got := notices.count(auth.NoticePasswordChanged); got != 0 {
		t.Fatalf("a rolled-back password change sent %d notices, want 0", got)
	}
	if _, err := a.UseKey(ctx, "username", "ada", "rolled back"); err == nil {
		t.Fatal("the rolled-back password works")
	}

	changePassword("committed", true)
	waitNotices(t, a)
	if got := notices.count(auth.NoticePasswordChanged); got != 1 {
		t.Fatalf("a committed password change sent %d notices, want 1", got)
	}
	if n := notices.all()[0]; n.ClientAddress != "192.0.2.10" || n.Device == "" {
		t.Errorf("the held notice lost its client: %+v", n)
	}
	if _, err := a.UseKey(ctx, "username", "ada", "committed"); err != nil {
		t.Fatalf("the committed password: %v", err)
	}
}

// A hold is safe for concurrent use: notices raised at once from many
// goroutines are all held, then all sent. Send and Discard are
// idempotent and the first decides; after Send a notice goes out at once,
// after Discard it is dropped; a nested hold hands its notices to the
// outer one, and the Auth the hold was made from holds nothing.
func TestHeldNotices(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := luciapg.New(testdb.New(t))
	notices := &noticeRecorder{}
	a := mustAuth(auth.New(store, auth.Config{PasswordHasher: fastHasher{}, Notifier: notices}))
	raise := func(core *auth.Auth, user string) {
		core.Notify(ctx, auth.Notice{Kind: auth.NoticeSecondFactorRemoved, UserID: user})
	}
	sentTo := func(user string) int {
		waitNotices(t, a)
		n := 0
		for _, notice := range notices.all() {
			if notice.UserID == user {
				n++
			}
		}
		return n
	}

	core, held := a.HoldNotices()
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { raise(core, "sent") })
	}
	raise(a, "not held") // the original Auth sends at once
	wg.Wait()
	if got := sentTo("not held"); got != 1 {
		t.Errorf("the original Auth sent %d notices, want 1", got)
	}
	if got := sentTo("sent"); got != 0 {
		t.Fatalf("%d held notices sent before Send", got)
	}
	held.Send()
	held.Discard() // too late: a no-op
	held.Send()    // a no-op too
	raise(core, "sent")
	if got := sentTo("sent"); got != n+1 {
		t.Errorf("after Send %d notices, want %d", got, n+1)
	}

	core, held = a.HoldNotices()
	inner, innerHeld := core.HoldNotices()
	raise(inner, "discarded")
	innerHeld.Send() // to the outer hold, which still holds it
	if got := sentTo("discarded"); got != 0 {
		t.Fatalf("a nested hold's Send sent %d notices past the outer hold", got)
	}
	held.Discard()
	held.Send() // after Discard: a no-op
	raise(core, "discarded")
	raise(inner, "discarded")
	if got := sentTo("discarded"); got != 0 {
		t.Errorf("a discarded hold sent %d notices", got)
	}
}
