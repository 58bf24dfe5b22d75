package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
)

// The audit command reads luciapg_audit_event, the log the auth core
// writes (sign-ups, logins and failed ones, logouts, revoked sessions,
// password and email changes, second factors), through the Store's
// ListAuditEvents: newest first, a page at a time.

const auditAbout = "List events of the audit log, newest first: when, what (the event's " +
	"kind, such as login, login_failed or password_changed), whose, in which session " +
	"(by its label, as sessions list shows it; never its id), from which address and " +
	"user agent, and a short detail. --user keeps one user's events (the log keeps them " +
	"after the user is deleted, until the janitor's retention removes them); without it " +
	"everyone's are listed. --since keeps the events of the last DURATION, a Go duration " +
	"(30m, 24h) or a number of days (7d), or since a time (2026-12-01T00:00:00Z). The " +
	"first --limit events are listed (100 unless given); when there are more, the output " +
	"names the --before EVENT_ID that lists the next ones. --json prints " +
	`{"events": [...], "next_before": ID or null}.`

const defaultAuditLimit = 100

// auditPageSize is the largest page ListAuditEvents reads at once.
const auditPageSize = 1000

// auditEventView is an event as shown.
type auditEventView struct {
	ID            int64  `json:"id"`
	At            string `json:"at"`
	Kind          string `json:"kind"`
	UserID        string `json:"user_id"`
	SessionLabel  string `json:"session_label"`
	ClientAddress string `json:"client_address"`
	UserAgent     string `json:"user_agent"`
	Detail        string `json:"detail"`
}

func auditFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	userID := fs.String("user", "", "list the events of the user `USER_ID` only (default: everyone's)")
	since := fs.String("since", "", "list the events of the last `DURATION` (30m, 24h, 7d) or since a time (2026-12-01T00:00:00Z) (default: all)")
	limit := fs.Int("limit", defaultAuditLimit, fmt.Sprintf("list at most `N` events, the newest (1 to %d)", maxListLimit))
	before := fs.Int64("before", 0, "list the events older than the event `EVENT_ID`, the last of the previous page")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args); err != nil {
			return err
		}
		if err := checkLimit(*limit); err != nil {
			return err
		}
		if *before < 0 {
			return usageErrorf("--before must be an event id (a positive number), not %d", *before)
		}
		query := luciapg.AuditQuery{UserID: *userID, Before: *before}
		if *since != "" {
			from, err := parseSince(*since, c.now())
			if err != nil {
				return err
			}
			query.Since = from
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		events, next, err := listAuditEvents(ctx, store, query, *limit)
		if err != nil {
			return err
		}
		if len(events) == 0 && *userID != "" && *before == 0 {
			// No event of a user who does not exist either: a typo, most
			// likely, which an empty table would hide. (A deleted user's
			// events stay, and are listed above.)
			if err := requireUser(ctx, store, *userID); err != nil {
				return err
			}
		}
		views := make([]auditEventView, len(events))
		for i, ev := range events {
			views[i] = auditEventView{ID: ev.ID, At: formatTime(ev.At), Kind: ev.Kind, UserID: ev.UserID, SessionLabel: ev.SessionLabel,
				ClientAddress: ev.ClientAddress, UserAgent: ev.UserAgent, Detail: ev.Detail}
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"events": views, "next_before": next})
		}
		return printAuditEvents(c, views, next)
	}
}

// listAuditEvents reads up to limit events of query, a page of the Store
// at a time, and returns them with the id to continue before when there
// are more (nil otherwise).
func listAuditEvents(ctx context.Context, store luciapg.AuditAdapter, query luciapg.AuditQuery, limit int) ([]luciapg.AuditEvent, *int64, error) {
	events := []luciapg.AuditEvent{}
	// One more than asked for tells whether there is more.
	for want := limit + 1; len(events) < want; {
		query.Limit = min(want-len(events), auditPageSize)
		page, err := store.ListAuditEvents(ctx, query)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, page...)
		if len(page) < query.Limit {
			break
		}
		query.Before = page[len(page)-1].ID
	}
	if len(events) <= limit {
		return events, nil, nil
	}
	events = events[:limit]
	next := events[limit-1].ID
	return events, &next, nil
}

// maxShownUserAgent is how much of a user agent the table shows: --json
// prints it whole.
const maxShownUserAgent = 40

func printAuditEvents(c *cmdContext, events []auditEventView, next *int64) error {
	rows := make([][]string, len(events))
	for i, ev := range events {
		rows[i] = []string{strconv.FormatInt(ev.ID, 10), ev.At, printable(ev.Kind), orDash(printable(ev.UserID)), orDash(ev.SessionLabel),
			orDash(printable(ev.ClientAddress)), orDash(printable(shorten(ev.UserAgent, maxShownUserAgent))), orDash(printable(ev.Detail))}
	}
	if err := printTable(c.stdout, []string{"ID", "AT", "EVENT", "USER", "SESSION", "ADDRESS", "USER AGENT", "DETAIL"}, rows); err != nil {
		return err
	}
	if next == nil {
		return nil
	}
	_, err := fmt.Fprintf(c.stdout, "(%s, newest first; next page: --before %d)\n", plural(len(events), "event", "events"), *next)
	return err
}

// parseSince reads --since: a duration back from now (a Go duration such
// as 30m or 24h, or whole days such as 7d), or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		n, convErr := strconv.Atoi(days)
		if convErr == nil && n <= maxSinceDays {
			d, err = time.Duration(n)*24*time.Hour, nil
		}
	}
	if err != nil || d <= 0 {
		return time.Time{}, usageErrorf("--since %q: want a duration such as 30m, 24h or 7d, or a time such as 2026-12-01T00:00:00Z", s)
	}
	return now.Add(-d), nil
}

// maxSinceDays bounds --since Nd well below a time.Duration's range.
const maxSinceDays = 100 * 365

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// orDash shows an empty column as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// adminEvent returns ctx carrying the audit event of an administrator's
// change to the user: the Store's next write records it in its
// transaction (luciapg.WithAuditEvent). Its detail names the command, so
// the log tells an administrator's act from the user's own; no address
// or user agent, as the change came from no client of the user's.
func adminEvent(ctx context.Context, c *cmdContext, kind, userID, sessionLabel, detail string) context.Context {
	return luciapg.WithAuditEvent(ctx, luciapg.AuditEvent{At: c.now(), Kind: kind, UserID: userID, SessionLabel: sessionLabel, Detail: detail})
}
