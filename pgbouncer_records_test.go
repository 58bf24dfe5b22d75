package luciapg_test

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The device list, the audit log and email changes work through PgBouncer
// in transaction mode, in each exec mode that works there: arrays of
// times, -infinity, and the transactions the context's records add.
func TestDevicesAuditAndEmailChangesThroughPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 2)
	for _, mode := range pgbouncerModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := luciapg.New(testdb.Pool(t, bouncer.URL(testdb.NewURL(t), mode), 4))
			now := time.Now()
			login := luciapg.WithAuditEvent(luciapg.WithSessionOrigin(ctx, luciapg.SessionOrigin{At: now, ClientAddress: "192.0.2.1", UserAgent: "ua"}),
				luciapg.AuditEvent{At: now, Kind: luciapg.AuditLogin, UserID: "u1", ClientAddress: "192.0.2.1", UserAgent: "ua"})
			if _, err := store.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"s1", "s2", "s3"} {
				if err := store.SetSession(login, aliveSession(id, "u1")); err != nil {
					t.Fatal(err)
				}
			}
			if err := store.RecordSessionsSeen(ctx, []luciapg.SessionSeen{{SessionID: "s1", At: now.Add(time.Minute)}, {SessionID: "s2", At: now}}); err != nil {
				t.Fatal(err)
			}
			list, err := store.GetUserSessionsMetadata(ctx, "u1")
			if err != nil || len(list) != 3 || !list[0].HasMetadata || list[0].ClientAddress != "192.0.2.1" {
				t.Fatalf("GetUserSessionsMetadata = %+v, %v", list, err)
			}
			if err := store.DeleteUserSession(ctx, "u1", "s3"); err != nil {
				t.Fatal(err)
			}
			if n, err := store.DeleteOtherUserSessions(ctx, "u1", "s1"); err != nil || n != 1 {
				t.Fatalf("DeleteOtherUserSessions = %d, %v", n, err)
			}
			events, err := store.ListAuditEvents(ctx, luciapg.AuditQuery{UserID: "u1"})
			if err != nil || len(events) != 3 {
				t.Fatalf("ListAuditEvents = %d events, %v; want 3", len(events), err)
			}
			if known, err := store.HasSignedInFrom(ctx, "u1", "192.0.2.1", "ua"); err != nil || !known {
				t.Fatalf("HasSignedInFrom = %v, %v", known, err)
			}
			if n, err := store.PurgeAuditEvents(ctx, now.Add(time.Second), 2); err != nil || n != 2 {
				t.Fatalf("PurgeAuditEvents = %d, %v; want 2", n, err)
			}
			change := luciapg.EmailChange{UserID: "u1", NewEmail: "new@example.com", TokenID: "t1", Expires: now.Add(time.Hour)}
			if err := store.SetEmailChange(ctx, change); err != nil {
				t.Fatal(err)
			}
			if got, err := store.ConsumeEmailChange(ctx, "u1", "t1", now); err != nil || got.NewEmail != change.NewEmail {
				t.Fatalf("ConsumeEmailChange = %+v, %v", got, err)
			}
		})
	}
}
