package main

import (
	"context"
	"log/slog"

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
}

// Notify mails the notice.
func (n mailNotifier) Notify(ctx context.Context, notice auth.Notice) error {
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
