package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
)

// recordEvent appends an event to the audit log, as the auth core would.
func recordEvent(t *testing.T, store *luciapg.Store, ev luciapg.AuditEvent) {
	t.Helper()
	if err := store.RecordAuditEvent(context.Background(), ev); err != nil {
		t.Fatalf("recording %s: %v", ev.Kind, err)
	}
}

// auditList is audit --json's document.
type auditList struct {
	Events     []auditEventView `json:"events"`
	NextBefore *int64           `json:"next_before"`
}

func parseAuditJSON(t *testing.T, r cliResult) auditList {
	t.Helper()
	var list auditList
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("audit --json: %v\n%s", err, r.stdout)
	}
	return list
}

func kinds(events []auditEventView) string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.Kind+"/"+ev.UserID)
	}
	return strings.Join(out, " ")
}

// luciapg audit lists the log newest first: one user's events or
// everyone's, of the last DURATION, a page at a time; a user agent a
// client chose cannot drive the terminal.
func TestAuditListsEvents(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now().UTC().Truncate(time.Second)
	seedUser(t, store, "user1", "alice", luciaHash)
	seedUser(t, store, "user2", "bob", luciaHash)
	recordEvent(t, store, luciapg.AuditEvent{At: now.Add(-48 * time.Hour), Kind: luciapg.AuditSignUp, UserID: "user1", ClientAddress: "192.0.2.1"})
	recordEvent(t, store, luciapg.AuditEvent{At: now.Add(-3 * time.Hour), Kind: luciapg.AuditLoginFailed, UserID: "user1", ClientAddress: "198.51.100.7", UserAgent: "evil\x1b[2Jagent"})
	recordEvent(t, store, luciapg.AuditEvent{At: now.Add(-2 * time.Hour), Kind: luciapg.AuditLogin, UserID: "user2", SessionLabel: "abc123"})
	recordEvent(t, store, luciapg.AuditEvent{At: now.Add(-1 * time.Hour), Kind: luciapg.AuditLogin, UserID: "user1", SessionLabel: "def456",
		ClientAddress: "2001:db8:1:2::/64", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"})
	recordEvent(t, store, luciapg.AuditEvent{At: now.Add(-30 * time.Minute), Kind: luciapg.AuditPasswordChanged, UserID: "user1", Detail: "via the account page"})
	// A user deleted since: the log keeps their events.
	recordEvent(t, store, luciapg.AuditEvent{At: now.Add(-10 * time.Minute), Kind: luciapg.AuditLogout, UserID: "gone-user"})

	r := runCLI(t, url, now, "", "audit", "--user", "user1", "--since", "24h").wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "EVENT") ||
		!strings.Contains(lines[1], "password_changed") || !strings.Contains(lines[2], "login") || !strings.Contains(lines[3], "login_failed") {
		t.Fatalf("audit --user user1 --since 24h: want 3 events newest first\n%s", r.stdout)
	}
	for _, want := range []string{"def456", "2001:db8:1:2::/64", "Mozilla/5.0 (X11; Linux x86_64; rv:128.…", `"evil\x1b[2Jagent"`, "via the account page", now.Add(-time.Hour).Format(time.RFC3339)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") || strings.Contains(r.stdout, "signup") || strings.Contains(r.stdout, "user2") {
		t.Errorf("the table shows an escape sequence, an event before --since or another user's event:\n%s", r.stdout)
	}

	// Everyone's, in days, as JSON.
	list := parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--since", "7d", "--json").wantCode(t, exitOK))
	if got, want := kinds(list.Events), "logout/gone-user password_changed/user1 login/user1 login/user2 login_failed/user1 signup/user1"; got != want || list.NextBefore != nil {
		t.Errorf("audit --since 7d --json: %s (next %v), want %s", got, list.NextBefore, want)
	}
	if ev := list.Events[4]; ev.UserAgent != "evil\x1b[2Jagent" || ev.ClientAddress != "198.51.100.7" {
		t.Errorf("--json changed an event: %+v", ev)
	}
	// Since a time.
	list = parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--json", "--since", now.Add(-90*time.Minute).Format(time.RFC3339)).wantCode(t, exitOK))
	if got := kinds(list.Events); got != "logout/gone-user password_changed/user1 login/user1" {
		t.Errorf("audit --since TIME: %s", got)
	}
	// A deleted user's events.
	list = parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--json", "--user", "gone-user").wantCode(t, exitOK))
	if got := kinds(list.Events); got != "logout/gone-user" {
		t.Errorf("a deleted user's events: %s", got)
	}

	// A page at a time: --limit, then --before the id the output names.
	r = runCLI(t, url, now, "", "audit", "--limit", "2").wantCode(t, exitOK)
	all := parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--json").wantCode(t, exitOK)).Events
	wantFooter := fmt.Sprintf("(2 events, newest first; next page: --before %d)", all[1].ID)
	if lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); len(lines) != 4 || lines[3] != wantFooter {
		t.Fatalf("audit --limit 2: want two events and %q\n%s", wantFooter, r.stdout)
	}
	list = parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--json", "--limit", "3", "--before", fmt.Sprint(all[1].ID)).wantCode(t, exitOK))
	if got := kinds(list.Events); got != "login/user1 login/user2 login_failed/user1" || list.NextBefore == nil || *list.NextBefore != all[4].ID {
		t.Errorf("the second page: %s, next %v", got, list.NextBefore)
	}

	// A user with no events who does not exist: a typo, said so.
	r = runCLI(t, url, now, "", "audit", "--user", "alice").wantCode(t, exitNotFound)
	if !strings.Contains(r.stderr, `no user "alice": the key username:alice belongs to user user1`) {
		t.Errorf("audit --user alice: %q", r.stderr)
	}
	// An existing user without events in the window: an empty table.
	r = runCLI(t, url, now, "", "audit", "--user", "user2", "--since", "30m").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "(none)") {
		t.Errorf("no events: %q", r.stdout)
	}
}

// More events than a page of the Store: --limit reads them a page at a
// time and still says where the next page starts.
func TestAuditListsAcrossStorePages(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash)
	for i := range auditPageSize + 5 {
		recordEvent(t, store, luciapg.AuditEvent{At: now.Add(time.Duration(i-auditPageSize) * time.Second), Kind: luciapg.AuditLoginFailed, UserID: "user1"})
	}
	list := parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--json", "--limit", "1000").wantCode(t, exitOK))
	if len(list.Events) != 1000 || list.NextBefore == nil || *list.NextBefore != list.Events[999].ID {
		t.Fatalf("--limit 1000 of %d events: %d listed, next %v", auditPageSize+5, len(list.Events), list.NextBefore)
	}
	list = parseAuditJSON(t, runCLI(t, url, now, "", "audit", "--json", "--limit", "1000", "--before", fmt.Sprint(*list.NextBefore)).wantCode(t, exitOK))
	if len(list.Events) != 5 || list.NextBefore != nil {
		t.Fatalf("the rest: %d listed, next %v; want 5 and no next page", len(list.Events), list.NextBefore)
	}
}

// A bad flag is one line saying what to give, before connecting.
func TestAuditRefusesBadFlags(t *testing.T) {
	t.Parallel()
	now := time.Now()
	unreachable := "postgres://u:hunter2@" + closedPort(t) + "/x?connect_timeout=5"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "yesterday"}, `--since "yesterday": want a duration such as 30m, 24h or 7d, or a time such as 2026-12-01T00:00:00Z`},
		{[]string{"--since", "-24h"}, `--since "-24h": want a duration`},
		{[]string{"--since", "0d"}, `--since "0d": want a duration`},
		{[]string{"--limit", "0"}, "--limit must be between 1 and 1000, not 0"},
		{[]string{"--before", "-3"}, "--before must be an event id (a positive number), not -3"},
		{[]string{"user1"}, `unexpected argument "user1"`},
	} {
		r := runCLI(t, unreachable, now, "", append([]string{"audit"}, tt.args...)...).wantCode(t, exitUsage)
		if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "(run 'luciapg help audit' for usage)") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("audit %v: stderr %q, want %q", tt.args, r.stderr, tt.want)
		}
	}
}

// audit is a command of one word: its help, and the list of commands.
func TestAuditHelp(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, args := range [][]string{{"audit", "--help"}, {"help", "audit"}} {
		r := runCLI(t, "", now, "", args...).wantCode(t, exitOK)
		if !strings.HasPrefix(r.stdout, "Usage: luciapg audit [flags] [--user USER_ID] [--since DURATION]") || !strings.Contains(r.stdout, "--since DURATION") {
			t.Errorf("%v:\n%s", args, r.stdout)
		}
	}
	r := runCLI(t, "", now, "", "help").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "\n  audit ") {
		t.Errorf("help does not list audit:\n%s", r.stdout)
	}
	r = runCLI(t, "postgres://u@"+closedPort(t)+"/x?connect_timeout=5", now, "", "audit", "list").wantCode(t, exitUsage)
	if !strings.Contains(r.stderr, `unexpected argument "list"`) {
		t.Errorf("audit list: %q", r.stderr)
	}
}

// What an administrator does is in the log: mfa reset removes second
// factors and sessions, sessions revoke ends one (named by its label,
// never its id), each recorded with its write.
func TestAdminActionsAreAudited(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	now := time.Now()
	seedUser(t, store, "user1", "alice", luciaHash,
		session("alicesessionone", now, time.Hour, 2*time.Hour), session("alicesessiontwo", now, time.Hour, 2*time.Hour))
	seedUser(t, store, "user2", "bob", luciaHash, session("bobsessionone", now, time.Hour, 2*time.Hour))
	seedFactors(t, store, "user2", true, 10, 0)

	runCLI(t, url, now, "", "sessions", "revoke", "--user", "user1", auth.SessionLabel("alicesessionone")).wantCode(t, exitOK)
	runCLI(t, url, now, "", "sessions", "revoke", "alicesessiontwo").wantCode(t, exitOK)
	runCLI(t, url, now, "", "mfa", "reset", "--user", "user2").wantCode(t, exitOK)
	// Nothing left to remove or revoke: nothing recorded.
	runCLI(t, url, now, "", "mfa", "reset", "--user", "user2").wantCode(t, exitOK)
	runCLI(t, url, now, "", "sessions", "revoke-all", "user1").wantCode(t, exitOK)

	r := runCLI(t, url, now, "", "audit", "--json").wantCode(t, exitOK)
	list := parseAuditJSON(t, r)
	if got, want := kinds(list.Events), "session_revoked/user2 second_factor_removed/user2 session_revoked/user1 session_revoked/user1"; got != want {
		t.Fatalf("the log: %s, want %s", got, want)
	}
	if list.Events[2].SessionLabel != auth.SessionLabel("alicesessiontwo") || list.Events[3].SessionLabel != auth.SessionLabel("alicesessionone") ||
		list.Events[1].Detail != "luciapg mfa reset" || list.Events[3].Detail != "luciapg sessions revoke" {
		t.Errorf("the events: %+v", list.Events)
	}
	if strings.Contains(r.stdout, "alicesession") || strings.Contains(r.stdout, "bobsession") {
		t.Errorf("a session id is in the log:\n%s", r.stdout)
	}
}

// sessions list shows where and when each session began and was last
// used; a session a Lucia v1 app made has none of it.
func TestSessionsListShowsMetadata(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	store := luciapg.New(testdb.Pool(t, url, 2))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	seedUser(t, store, "user1", "alice", luciaHash, session("luciasession", now, time.Hour, 2*time.Hour))
	origin := luciapg.SessionOrigin{At: now.Add(-2 * time.Hour), ClientAddress: "192.0.2.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
	s := session("ourssession", now, 3*time.Hour, 4*time.Hour)
	s.UserID = "user1"
	if err := store.SetSession(luciapg.WithSessionOrigin(ctx, origin), s); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordSessionsSeen(ctx, []luciapg.SessionSeen{{SessionID: "ourssession", At: now.Add(-time.Minute)}}); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, url, now, "", "sessions", "list", "user1").wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "CREATED") || !strings.Contains(lines[0], "LAST SEEN") || !strings.Contains(lines[0], "USER AGENT") {
		t.Fatalf("sessions list:\n%s", r.stdout)
	}
	for _, want := range []string{auth.SessionLabel("ourssession"), origin.At.Format(time.RFC3339), now.Add(-time.Minute).Format(time.RFC3339), "192.0.2.1", "Mozilla/5.0"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("our session's row lacks %q: %s", want, lines[1])
		}
	}
	if !strings.HasPrefix(lines[2], auth.SessionLabel("luciasession")) || strings.Count(lines[2], " - ") < 3 {
		t.Errorf("the Lucia session's row: %q, want dashes for what it lacks", lines[2])
	}

	var list struct {
		Sessions []sessionView `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, url, now, "", "sessions", "list", "--json", "user1").wantCode(t, exitOK).stdout), &list); err != nil {
		t.Fatal(err)
	}
	ours, lucia := list.Sessions[0], list.Sessions[1]
	if !ours.HasMetadata || ours.CreatedAt == nil || *ours.CreatedAt != origin.At.Format(time.RFC3339) || ours.UserAgent != origin.UserAgent || ours.LastSeenAt == nil {
		t.Errorf("our session: %+v", ours)
	}
	if lucia.HasMetadata || lucia.CreatedAt != nil || lucia.LastSeenAt != nil || lucia.ClientAddress != "" {
		t.Errorf("the Lucia session: %+v", lucia)
	}
}
