package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// mailNotifier sends the auth core's security notices (auth.Config.Notifier:
// a sign-in from a new device, a password or email address changed, a
// second factor removed) through the app's Mailer: to the notice's To
// when it names one (the old address of an email change), else to the
// user's address. A user without an address gets none.
//
// The core calls it in the background, after the change committed, and
// logs its error: a notice never holds up or fails what it reports.
type mailNotifier struct {
	users  luciapg.Adapter
	mailer Mailer
	log    *slog.Logger
	// sending counts the notices being sent, so that a shutdown waits for
	// them before it closes the database.
	sending *inFlight
}

// Notify mails the notice.
func (n mailNotifier) Notify(ctx context.Context, notice auth.Notice) error {
	n.sending.start()
	defer n.sending.end()
	to := notice.To
	if to == "" {
		user, err := n.users.GetUser(ctx, notice.UserID)
		if err != nil {
			return err
		}
		if to, _ = userEmail(user); to == "" {
			n.log.Debug("no security notice: the user has no email address", "notice", string(notice.Kind), "user", notice.UserID)
			return nil
		}
	}
	if err := n.mailer.Send(ctx, Message{To: to, Subject: notice.Subject(), Body: notice.Body()}); err != nil {
		return err
	}
	n.log.Info("mail sent", "kind", "notice-"+string(notice.Kind), "user", notice.UserID)
	return nil
}

// inFlight counts work in progress, and waits for none to be left.
type inFlight struct {
	mu sync.Mutex
	n  int
	// idle is closed when n drops to zero; nil while it is zero.
	idle chan struct{}
}

func (f *inFlight) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inFlight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 {
		close(f.idle)
		f.idle = nil
	}
}

// wait returns once nothing is in progress, or ctx's error when it ends
// first. (Work that starts after it returned is not waited for: the auth
// core sends a notice in a goroutine of its own, started as its action
// returns, so a notice of the last request can begin a moment after the
// server stopped.)
func (f *inFlight) wait(ctx context.Context) error {
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
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
