package tokens_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
	"github.com/luciapg/luciapg/memadapter"
)

// An email change from Begin to Confirm: the change waits (Pending), the
// old address is told at each step, the events go in the log, the token
// is stored only as a hash, and Confirm sets the address and its verified
// flag.
func TestEmailChange(t *testing.T) {
	t.Parallel()
	eachEmailBackend(t, func(t *testing.T, e *emailEnv) {
		ctx := auth.WithClient(t.Context(), "192.0.2.5", "Firefox")
		token, err := e.changes.Begin(ctx, e.session, "ada@new.example.com")
		wantNoErr(t, "Begin", err)
		if token.UserID != e.user.ID || !token.ExpiresAt.Equal(e.clock.Now().Add(tokens.DefaultEmailChangeExpiresIn)) {
			t.Fatalf("Begin's token: %v", token)
		}
		pending, err := e.changes.Pending(ctx, e.user.ID)
		wantNoErr(t, "Pending", err)
		if pending.NewEmail != "ada@new.example.com" || pending.TokenID == token.Value || strings.Contains(pending.TokenID, token.Value) || len(pending.TokenID) != 64 {
			t.Fatalf("Pending: %+v, want the new address and a hash of the token, never the token", pending)
		}
		if got := e.email(t); got != adaEmail {
			t.Fatalf("the address changed before the confirmation: %v", got)
		}
		requested := e.notices.waitFor(t, auth.NoticeEmailChangeRequested)
		if requested.To != adaEmail || requested.UserID != e.user.ID || requested.ClientAddress != "192.0.2.5" || requested.Device != "Firefox" {
			t.Fatalf("the request's notice: %+v, want it to the old address, from the client", requested)
		}

		e.clock.Advance(time.Minute)
		user, err := e.changes.Confirm(ctx, token.Value)
		wantNoErr(t, "Confirm", err)
		if user.Attributes["email"] != "ada@new.example.com" || user.Attributes["email_verified"] != true {
			t.Fatalf("Confirm returned %v", user.Attributes)
		}
		changed := e.notices.waitFor(t, auth.NoticeEmailChanged)
		if changed.To != adaEmail || !changed.At.Equal(e.clock.Now()) {
			t.Fatalf("the change's notice: %+v, want it to the old address", changed)
		}
		if _, err := e.changes.Pending(ctx, e.user.ID); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
			t.Fatalf("Pending after Confirm: %v", err)
		}
		events, err := e.core.AuditEvents(ctx, luciapg.AuditQuery{UserID: e.user.ID, Limit: 2})
		wantNoErr(t, "AuditEvents", err)
		if len(events) != 2 || events[0].Kind != luciapg.AuditEmailChanged || events[1].Kind != luciapg.AuditEmailChangeRequested ||
			events[1].SessionLabel != auth.SessionLabel(e.session.ID) || events[0].ClientAddress != "192.0.2.5" {
			t.Fatalf("the latest events: %+v, want email_change_requested (in the session) then email_changed", events)
		}
		for _, ev := range events {
			if strings.Contains(ev.Detail, token.Value) || strings.Contains(ev.Detail, "new.example.com") {
				t.Fatalf("an event holds the token or the address: %+v", ev)
			}
		}
		for _, n := range []auth.Notice{requested, changed} {
			if strings.Contains(n.Body()+n.Subject(), token.Value) {
				t.Fatalf("a notice holds the token: %s", n.Body())
			}
		}
	})
}

// Begin refuses what is not a bare address, an address too long, and the
// current one, before storing or issuing anything; Cancel drops a pending
// change and its token.
func TestEmailChangeBeginRefusesAndCancel(t *testing.T) {
	t.Parallel()
	eachEmailBackend(t, func(t *testing.T, e *emailEnv) {
		ctx := t.Context()
		for _, bad := range []string{
			"", "nope", "Ada <ada@new.example.com>", "<ada@new.example.com>", "ada@new.example.com\r\nBcc: x@example.com",
			strings.Repeat("a", 250) + "@x.io", " ada@new.example.com", "ADA@example.com", adaEmail,
		} {
			_, err := e.changes.Begin(ctx, e.session, bad)
			if !errors.Is(err, luciapg.ErrInvalidInput) || strings.ContainsAny(err.Error(), "\r\n") || (bad != "" && strings.Contains(err.Error(), bad)) {
				t.Fatalf("Begin(%.30q): %v, want one line wrapping luciapg.ErrInvalidInput that does not quote it", bad, err)
			}
		}
		if _, err := e.changes.Pending(ctx, e.user.ID); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
			t.Fatalf("Pending after refused Begins: %v", err)
		}
		token, err := e.changes.Begin(ctx, e.session, "ada@new.example.com")
		wantNoErr(t, "Begin", err)
		wantNoErr(t, "Cancel", e.changes.Cancel(ctx, e.user.ID))
		wantNoErr(t, "Cancel again", e.changes.Cancel(ctx, e.user.ID))
		_, err = e.changes.Confirm(ctx, token.Value)
		wantErr(t, "Confirm after Cancel", err, tokens.ErrInvalidToken)
		if got := e.email(t); got != adaEmail {
			t.Fatalf("the address changed after Cancel: %v", got)
		}
	})
}

// NewEmailChanges refuses a configuration that cannot work, and an adapter
// that stores no email changes.
func TestNewEmailChangesRefusesBadConfig(t *testing.T) {
	t.Parallel()
	core, err := auth.New(memadapter.New(), auth.Config{})
	wantNoErr(t, "auth.New", err)
	for _, tt := range []struct {
		name string
		cfg  tokens.EmailChangeConfig
	}{
		{"no column", tokens.EmailChangeConfig{}},
		{"the id column", tokens.EmailChangeConfig{Column: "id"}},
		{"a NUL in the column", tokens.EmailChangeConfig{Column: "em\x00ail"}},
		{"a column too long", tokens.EmailChangeConfig{Column: strings.Repeat("c", 64)}},
		{"the verified column is the column", tokens.EmailChangeConfig{Column: "email", VerifiedColumn: "email"}},
		{"the verified column is id", tokens.EmailChangeConfig{Column: "email", VerifiedColumn: "id"}},
		{"a negative expiry", tokens.EmailChangeConfig{Column: "email", ExpiresIn: -time.Second}},
	} {
		if _, err := tokens.NewEmailChanges(core, tt.cfg); !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("%s: %v, want luciapg.ErrInvalidConfig", tt.name, err)
		}
	}
	bare, err := auth.New(struct{ storage }{memadapter.New()}, auth.Config{})
	wantNoErr(t, "auth.New", err)
	if _, err := tokens.NewEmailChanges(bare, tokens.EmailChangeConfig{Column: "email"}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("an adapter without email changes: %v, want luciapg.ErrInvalidConfig", err)
	}
	if _, err := tokens.NewEmailChanges(nil, tokens.EmailChangeConfig{Column: "email"}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("a nil core: %v, want luciapg.ErrInvalidConfig", err)
	}
}
