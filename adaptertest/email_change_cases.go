package adaptertest

import (
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// emailChangeCases cover luciapg.EmailChangeAdapter (M for mail: E is
// taken by the extra cases).
var emailChangeCases = []testCase{
	{"M1", "SetEmailChange stores the user's one pending change, replacing any other; GetEmailChange returns it until it expires", func(t *testing.T, c *caseEnv) {
		e := c.emailChanges(t)
		u, other := c.seedUser(t), c.seedUser(t)
		now := micro(time.Now())
		first := newEmailChange(u.ID, now.Add(time.Hour))
		first.CreatedAt = d0 // the storage sets it
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, first))
		got, err := e.GetEmailChange(c.ctx, u.ID, now)
		wantNoErr(t, "GetEmailChange", err)
		first.CreatedAt = time.Time{}
		wantEmailChange(t, "GetEmailChange", got, first, now)

		second := newEmailChange(u.ID, now.Add(2*time.Hour))
		wantNoErr(t, "SetEmailChange replacing", e.SetEmailChange(c.ctx, second))
		got, err = e.GetEmailChange(c.ctx, u.ID, now)
		wantNoErr(t, "GetEmailChange", err)
		wantEmailChange(t, "GetEmailChange after a replacement", got, second, now)
		got, err = e.GetEmailChange(c.ctx, u.ID, second.Expires)
		wantNoErr(t, "GetEmailChange at its expiry", err)
		wantEmailChange(t, "GetEmailChange at its expiry", got, second, now)
		_, err = e.GetEmailChange(c.ctx, u.ID, second.Expires.Add(time.Millisecond))
		wantErr(t, "GetEmailChange after its expiry", err, luciapg.ErrEmailChangeNotFound)

		_, err = e.GetEmailChange(c.ctx, other.ID, now)
		wantErr(t, "GetEmailChange of a user without one", err, luciapg.ErrEmailChangeNotFound)
		wantErr(t, "SetEmailChange of an unknown user", e.SetEmailChange(c.ctx, newEmailChange(newFixtureUser().ID, now.Add(time.Hour))), luciapg.ErrInvalidUserID)
	}},
	{"M2", "ConsumeEmailChange returns the change once, for its user and token id, before it expires; a wrong token leaves it", func(t *testing.T, c *caseEnv) {
		e := c.emailChanges(t)
		u, other := c.seedUser(t), c.seedUser(t)
		now := micro(time.Now())
		change := newEmailChange(u.ID, now.Add(time.Hour))
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, change))
		otherChange := newEmailChange(other.ID, now.Add(time.Hour))
		wantNoErr(t, "SetEmailChange of another user", e.SetEmailChange(c.ctx, otherChange))

		_, err := e.ConsumeEmailChange(c.ctx, u.ID, otherChange.TokenID, now)
		wantErr(t, "ConsumeEmailChange with another user's token id", err, luciapg.ErrEmailChangeNotFound)
		_, err = e.ConsumeEmailChange(c.ctx, other.ID, change.TokenID, now)
		wantErr(t, "ConsumeEmailChange of another user with this token id", err, luciapg.ErrEmailChangeNotFound)
		_, err = e.ConsumeEmailChange(c.ctx, u.ID, change.TokenID, change.Expires.Add(time.Millisecond))
		wantErr(t, "ConsumeEmailChange after its expiry", err, luciapg.ErrEmailChangeNotFound)
		got, err := e.GetEmailChange(c.ctx, u.ID, now)
		wantNoErr(t, "GetEmailChange after refused consumes", err)
		wantEmailChange(t, "GetEmailChange after refused consumes", got, change, now)

		got, err = e.ConsumeEmailChange(c.ctx, u.ID, change.TokenID, now)
		wantNoErr(t, "ConsumeEmailChange", err)
		wantEmailChange(t, "ConsumeEmailChange", got, change, now)
		_, err = e.ConsumeEmailChange(c.ctx, u.ID, change.TokenID, now)
		wantErr(t, "ConsumeEmailChange twice", err, luciapg.ErrEmailChangeNotFound)
		_, err = e.GetEmailChange(c.ctx, u.ID, now)
		wantErr(t, "GetEmailChange after ConsumeEmailChange", err, luciapg.ErrEmailChangeNotFound)
		got, err = e.GetEmailChange(c.ctx, other.ID, now)
		wantNoErr(t, "GetEmailChange of the other user", err)
		wantEmailChange(t, "the other user's change", got, otherChange, now)
	}},
	{"M3", "of concurrent ConsumeEmailChange calls on one change, exactly one gets it", func(t *testing.T, c *caseEnv) {
		e := c.emailChanges(t)
		u := c.seedUser(t)
		now := micro(time.Now())
		change := newEmailChange(u.ID, now.Add(time.Hour))
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, change))
		exactlyOneWins(t, "ConsumeEmailChange", concurrentCallers, luciapg.ErrEmailChangeNotFound, func() error {
			_, err := e.ConsumeEmailChange(c.ctx, u.ID, change.TokenID, now)
			return err
		})
	}},
	{"M4", "DeleteEmailChange and DeleteUser remove the pending change; PurgeExpiredEmailChanges deletes the expired ones and counts them", func(t *testing.T, c *caseEnv) {
		e := c.emailChanges(t)
		now := micro(time.Now())
		u := c.seedUser(t)
		wantNoErr(t, "DeleteEmailChange without a change", e.DeleteEmailChange(c.ctx, u.ID))
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, newEmailChange(u.ID, now.Add(time.Hour))))
		wantNoErr(t, "DeleteEmailChange", e.DeleteEmailChange(c.ctx, u.ID))
		_, err := e.GetEmailChange(c.ctx, u.ID, now)
		wantErr(t, "GetEmailChange after DeleteEmailChange", err, luciapg.ErrEmailChangeNotFound)

		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, newEmailChange(u.ID, now.Add(time.Hour))))
		wantNoErr(t, "DeleteUser", c.adapter.DeleteUser(c.ctx, u.ID))
		if err := c.storage.InsertUser(c.ctx, u.ID, u.Username); err != nil {
			t.Fatalf("seeding the user again: %v", err)
		}
		_, err = e.GetEmailChange(c.ctx, u.ID, now)
		wantErr(t, "GetEmailChange after DeleteUser and a new user of the id", err, luciapg.ErrEmailChangeNotFound)

		expired1, expired2, live := c.seedUser(t), c.seedUser(t), c.seedUser(t)
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, newEmailChange(expired1.ID, now.Add(-time.Hour))))
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, newEmailChange(expired2.ID, now.Add(-time.Minute))))
		liveChange := newEmailChange(live.ID, now.Add(time.Minute))
		wantNoErr(t, "SetEmailChange", e.SetEmailChange(c.ctx, liveChange))
		n, err := e.PurgeExpiredEmailChanges(c.ctx, now)
		wantNoErr(t, "PurgeExpiredEmailChanges", err)
		wantEqual(t, "PurgeExpiredEmailChanges' count", n, int64(2))
		n, err = e.PurgeExpiredEmailChanges(c.ctx, now)
		wantNoErr(t, "PurgeExpiredEmailChanges again", err)
		wantEqual(t, "PurgeExpiredEmailChanges' count again", n, int64(0))
		got, err := e.GetEmailChange(c.ctx, live.ID, now)
		wantNoErr(t, "GetEmailChange of the live change", err)
		wantEmailChange(t, "the live change after a purge", got, liveChange, now)
		// Purged, not merely expired: a time before their expiry finds
		// nothing either.
		_, err = e.GetEmailChange(c.ctx, expired1.ID, now.Add(-2*time.Hour))
		wantErr(t, "GetEmailChange of a purged change", err, luciapg.ErrEmailChangeNotFound)
	}},
	{"M5", "SetEmailChange refuses input that cannot be stored with ErrInvalidInput, and stores nothing", func(t *testing.T, c *caseEnv) {
		e := c.emailChanges(t)
		u := c.seedUser(t)
		now := micro(time.Now())
		longest := newEmailChange(u.ID, now.Add(time.Hour))
		longest.NewEmail = strings.Repeat("a", 254-len("@example.com")) + "@example.com"
		for what, spoil := range map[string]func(*luciapg.EmailChange){
			"an empty address":          func(ch *luciapg.EmailChange) { ch.NewEmail = "" },
			"an address over 254 bytes": func(ch *luciapg.EmailChange) { ch.NewEmail = "a" + longest.NewEmail },
			"a NUL byte in the address": func(ch *luciapg.EmailChange) { ch.NewEmail = "a\x00@example.com" },
			"an empty token id":         func(ch *luciapg.EmailChange) { ch.TokenID = "" },
			"a zero expiry":             func(ch *luciapg.EmailChange) { ch.Expires = time.Time{} },
			"an empty user id":          func(ch *luciapg.EmailChange) { ch.UserID = "" },
		} {
			ch := newEmailChange(u.ID, now.Add(time.Hour))
			spoil(&ch)
			wantErr(t, "SetEmailChange with "+what, e.SetEmailChange(c.ctx, ch), luciapg.ErrInvalidInput)
			_, err := e.GetEmailChange(c.ctx, u.ID, now)
			wantErr(t, "GetEmailChange after SetEmailChange with "+what, err, luciapg.ErrEmailChangeNotFound)
		}
		wantNoErr(t, "SetEmailChange with a 254-byte address", e.SetEmailChange(c.ctx, longest))
		got, err := e.GetEmailChange(c.ctx, u.ID, now)
		wantNoErr(t, "GetEmailChange", err)
		wantEmailChange(t, "a change to a 254-byte address", got, longest, now)
	}},
}
