package passkey_test

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/passkey"
)

// notices is a Notifier that hands each notice to a channel.
type notices chan auth.Notice

func (n notices) Notify(_ context.Context, notice auth.Notice) error {
	n <- notice
	return nil
}

// A passkey registered is recorded as a second factor added, in the
// registering session; one removed as a second factor removed, with a
// notice to the user. The passwordless login it makes is recorded as a
// login by a passkey.
func TestPasskeyAuditEventsAndNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sent := make(notices, 8)
	a, err := auth.New(luciapg.New(e.pool), auth.Config{Now: e.clock.Now, SudoPeriod: sudoPeriod, Notifier: sent})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := passkey.New(a, passkey.Config{RPID: rpID, RPDisplayName: "Example", RPOrigins: []string{origin}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{auth: a, pk: pk, clock: e.clock}
	laptop := &authenticator{origin: origin}
	session := in.newUser(t)
	k, _ := in.register(t, session, laptop, "Laptop")

	c, err := pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	login, err := pk.FinishLogin(ctx(t), c.Token, laptop.get(t, c.Options, k))
	if err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
	if err := pk.Remove(ctx(t), session, k.id); err != nil {
		t.Fatalf("Remove: %v", err)
	}

	events, err := a.AuditEvents(ctx(t), luciapg.AuditQuery{UserID: session.UserID, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ kind, detail, label string }{
		{luciapg.AuditSecondFactorRemoved, "passkey", auth.SessionLabel(session.ID)},
		{luciapg.AuditLogin, "passkey", auth.SessionLabel(login.ID)},
		{luciapg.AuditSecondFactorAdded, "passkey", auth.SessionLabel(session.ID)},
	}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i, w := range want {
		if ev := events[i]; ev.Kind != w.kind || ev.Detail != w.detail || ev.SessionLabel != w.label || ev.ClientAddress != clientAddress {
			t.Fatalf("event %d: %+v, want %s (%s) in session %s from %s", i, ev, w.kind, w.detail, w.label, clientAddress)
		}
	}
	select {
	case n := <-sent:
		if n.Kind != auth.NoticeSecondFactorRemoved || n.Detail != "passkey" || n.UserID != session.UserID {
			t.Fatalf("notice %+v, want the passkey removed", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no notice within 30 s of the passkey's removal")
	}
}
