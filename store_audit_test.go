package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// insertEvents appends n events of user, one a minute from start, with
// plain SQL.
func insertEvents(t *testing.T, db luciapg.DB, user string, start time.Time, n int) {
	t.Helper()
	_, err := db.Exec(context.Background(), `INSERT INTO luciapg_audit_event (at, kind, user_id)
		SELECT $1::timestamptz + i * interval '1 minute', 'login', $2 FROM generate_series(0, $3 - 1) AS i`, start, user, n)
	if err != nil {
		t.Fatal(err)
	}
}

// Pages come newest first, each continuing below the last id of the one
// before, filtered by user and time; the limit's bounds are checked.
func TestListAuditEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	insertEvents(t, pool, "u1", t0, 120)
	insertEvents(t, pool, "u2", t0, 30)

	var all []luciapg.AuditEvent
	query := luciapg.AuditQuery{UserID: "u1"}
	for pages := 0; ; pages++ {
		page, err := store.ListAuditEvents(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 50 {
			if pages != 2 {
				t.Errorf("%d full pages of 50, want 2", pages)
			}
			break
		}
		query.Before = page[len(page)-1].ID
	}
	if len(all) != 120 {
		t.Fatalf("%d of u1's events listed, want 120", len(all))
	}
	for i, e := range all {
		if e.UserID != "u1" || i > 0 && e.ID >= all[i-1].ID {
			t.Fatalf("event %d: %+v out of order or another user's", i, e)
		}
	}
	if !all[0].At.Equal(t0.Add(119*time.Minute)) || all[0].Kind != luciapg.AuditLogin {
		t.Errorf("newest = %+v", all[0])
	}

	since, err := store.ListAuditEvents(ctx, luciapg.AuditQuery{Since: t0.Add(100 * time.Minute), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(since) != 20 {
		t.Errorf("%d events since minute 100 of anyone, want 20 (u1's last)", len(since))
	}
	everyone, err := store.ListAuditEvents(ctx, luciapg.AuditQuery{Limit: 1000})
	if err != nil || len(everyone) != 150 {
		t.Errorf("everyone's events: %d, %v; want 150", len(everyone), err)
	}
	if none, err := store.ListAuditEvents(ctx, luciapg.AuditQuery{UserID: "\xff"}); err != nil || none == nil || len(none) != 0 {
		t.Errorf("an impossible user: %v, %v; want an empty list", none, err)
	}
	for _, bad := range []luciapg.AuditQuery{{Limit: 1001}, {Limit: -1}, {Before: -1}, {Since: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		if _, err := store.ListAuditEvents(ctx, bad); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("ListAuditEvents(%+v): %v, want ErrInvalidInput", bad, err)
		}
	}
}

// A client is known once the user signed up or logged in from it: the
// same address and user agent, unknown ones included; other kinds of
// event and other users' sign-ins do not count.
func TestHasSignedInFrom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	at := time.Now()
	firefox := "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
	for _, e := range []luciapg.AuditEvent{
		{At: at, Kind: luciapg.AuditSignUp, UserID: "u1", ClientAddress: "192.0.2.1", UserAgent: firefox},
		{At: at, Kind: luciapg.AuditLogin, UserID: "u1"},
		{At: at, Kind: luciapg.AuditLoginFailed, UserID: "u1", ClientAddress: "198.51.100.7", UserAgent: firefox},
		{At: at, Kind: luciapg.AuditLogin, UserID: "u2", ClientAddress: "203.0.113.9", UserAgent: firefox},
	} {
		if err := store.RecordAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		address, agent string
		want           bool
	}{
		{"192.0.2.1", firefox, true},
		{"", "", true},
		{"192.0.2.1", "", false},
		{"192.0.2.1", "curl/8.5.0", false},
		{"198.51.100.7", firefox, false}, // a failed login only
		{"203.0.113.9", firefox, false},  // another user's
		{"\x00", firefox, false},
	} {
		got, err := store.HasSignedInFrom(ctx, "u1", c.address, c.agent)
		if err != nil || got != c.want {
			t.Errorf("HasSignedInFrom(u1, %q, %.12q) = %v, %v; want %v", c.address, c.agent, got, err, c.want)
		}
	}
}

// PurgeAuditEvents deletes the oldest events first, at most limit, and
// only those older than its time.
func TestPurgeAuditEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	insertEvents(t, pool, "u1", t0, 10)
	cut := t0.Add(6 * time.Minute) // events 0 to 5 are older
	n, err := store.PurgeAuditEvents(ctx, cut, 4)
	if err != nil || n != 4 {
		t.Fatalf("PurgeAuditEvents = %d, %v; want 4", n, err)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event WHERE at < $1", t0.Add(4*time.Minute)) != 0 {
		t.Error("the batch did not take the oldest events")
	}
	if n, err = store.PurgeAuditEvents(ctx, cut, 4); err != nil || n != 2 {
		t.Fatalf("second batch = %d, %v; want 2", n, err)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event") != 4 {
		t.Fatal("newer events were purged")
	}
	for _, limit := range []int{0, -1, 1 << 31} {
		if _, err := store.PurgeAuditEvents(ctx, cut, limit); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Errorf("limit %d: %v, want ErrInvalidInput", limit, err)
		}
	}
	if _, err := store.PurgeAuditEvents(ctx, time.Time{}, 1); !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Errorf("zero time: %v, want ErrInvalidInput", err)
	}
}

// Several purges side by side each take rows the others are not deleting,
// and together delete every old event once.
func TestPurgeAuditEventsSideBySide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.Pool(t, testdb.NewURL(t), 4)
	store := luciapg.New(pool)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	insertEvents(t, pool, "u1", t0, 2000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := store.PurgeAuditEvents(ctx, t0.Add(1500*time.Minute), 50)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if total != 1500 || countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event") != 500 {
		t.Fatalf("purges side by side deleted %d, want 1500, and left the newer 500", total)
	}
}

// The janitor deletes events past AuditRetention in batches of BatchSize
// and keeps the newer ones; a negative retention is refused.
func TestJanitorPurgesAuditEventsPastRetention(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	retention := 30 * 24 * time.Hour
	insertEvents(t, pool, "u1", now.Add(-retention).Add(-25*time.Minute), 50) // the first 25 are past it
	if _, err := luciapg.NewJanitor(store, luciapg.JanitorConfig{AuditRetention: -time.Hour}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Fatalf("NewJanitor with a negative AuditRetention: %v, want ErrInvalidConfig", err)
	}
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(store, luciapg.JanitorConfig{
		Interval: time.Hour, BatchSize: 10, AuditRetention: retention, Logger: slog.New(logs),
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runJanitor(t, janitor)
	record, _ := logs.waitFor(t, 0, func(r slog.Record) bool { return r.Message == "luciapg: purged audit events past retention" })
	stop()
	if deleted, batches := attr(record, "deleted").Int64(), attr(record, "batches").Int64(); deleted != 25 || batches != 3 {
		t.Errorf("purged %d events in %d batches, want 25 in 3", deleted, batches)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event WHERE at < $1", now.Add(-retention)); n != 0 {
		t.Errorf("%d events past retention left", n)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM luciapg_audit_event"); n != 25 {
		t.Errorf("%d events left, want the 25 within retention", n)
	}
}

// The janitor purges expired email changes with the ceremonies.
func TestJanitorPurgesExpiredEmailChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	for i, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Minute)} {
		user := fmt.Sprintf("u%d", i)
		if _, err := store.SetUser(ctx, luciapg.User{ID: user}, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.SetEmailChange(ctx, luciapg.EmailChange{UserID: user, NewEmail: user + "@example.com", TokenID: "t", Expires: expires}); err != nil {
			t.Fatal(err)
		}
	}
	logs := newRecordingHandler()
	janitor, err := luciapg.NewJanitor(store, luciapg.JanitorConfig{Interval: time.Hour, Logger: slog.New(logs), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	stop := runJanitor(t, janitor)
	record, _ := logs.waitFor(t, 0, func(r slog.Record) bool { return r.Message == "luciapg: purged expired email changes" })
	stop()
	if deleted := attr(record, "deleted").Int64(); deleted != 1 {
		t.Errorf("purged %d email changes, want 1", deleted)
	}
	if countRows(t, pool, "SELECT count(*) FROM luciapg_email_change WHERE user_id = 'u1'") != 1 {
		t.Error("a pending change was purged before it expired")
	}
}
