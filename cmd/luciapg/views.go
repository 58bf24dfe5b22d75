package main

import (
	"cmp"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// keyView is a key as shown: whether it has a password, never the hash.
type keyView struct {
	ID          string  `json:"id"`
	UserID      string  `json:"user_id"`
	PrimaryKey  bool    `json:"primary_key"`
	HasPassword bool    `json:"has_password"`
	Expires     *string `json:"expires"`
}

func viewKey(k luciapg.Key) keyView {
	v := keyView{ID: k.ID, UserID: k.UserID, PrimaryKey: k.PrimaryKey, HasPassword: k.HashedPassword != nil}
	if k.Expires != nil {
		s := formatMillis(*k.Expires)
		v.Expires = &s
	}
	return v
}

func keyRows(keys []keyView) [][]string {
	rows := make([][]string, len(keys))
	for i, k := range keys {
		expires := "never"
		if k.Expires != nil {
			expires = *k.Expires
		}
		rows[i] = []string{k.ID, yesNo(k.PrimaryKey), yesNo(k.HasPassword), expires}
	}
	return rows
}

var keyHeader = []string{"KEY", "PRIMARY", "PASSWORD", "EXPIRES"}

// sessionView is a session with its state at the time of the command, and
// what luciapg knows of where it began. Its id is a bearer secret: it is
// shown only when asked for (--show-ids).
type sessionView struct {
	Label         string `json:"label"`
	ID            string `json:"id,omitempty"`
	UserID        string `json:"user_id"`
	State         string `json:"state"`
	ActiveExpires string `json:"active_expires"`
	IdleExpires   string `json:"idle_expires"`
	// HasMetadata is false for a session made without one (by a Lucia v1
	// app): CreatedAt is then null and the address and user agent empty.
	HasMetadata   bool    `json:"has_metadata"`
	CreatedAt     *string `json:"created_at"`
	ClientAddress string  `json:"client_address"`
	UserAgent     string  `json:"user_agent"`
	// LastSeenAt is the last use written (at most every few minutes), or
	// null.
	LastSeenAt *string `json:"last_seen_at"`
}

// sessionState follows Lucia v1: active until the active expiry, idle
// until the idle expiry (validation would renew it), dead after.
func sessionState(s luciapg.Session, now time.Time) string {
	ms := now.UnixMilli()
	switch {
	case ms <= s.ActiveExpires:
		return "active"
	case ms <= s.IdleExpires:
		return "idle"
	default:
		return "dead"
	}
}

func viewSessions(sessions []luciapg.SessionMetadata, now time.Time, showIDs bool) []sessionView {
	// Longest-lived first: the sessions an admin is looking for.
	slices.SortStableFunc(sessions, func(a, b luciapg.SessionMetadata) int {
		return cmp.Compare(b.Session.IdleExpires, a.Session.IdleExpires)
	})
	views := make([]sessionView, len(sessions))
	for i, m := range sessions {
		s := m.Session
		views[i] = sessionView{
			Label:         auth.SessionLabel(s.ID),
			UserID:        s.UserID,
			State:         sessionState(s, now),
			ActiveExpires: formatMillis(s.ActiveExpires),
			IdleExpires:   formatMillis(s.IdleExpires),
			HasMetadata:   m.HasMetadata,
			ClientAddress: m.ClientAddress,
			UserAgent:     m.UserAgent,
			CreatedAt:     optionalTime(m.CreatedAt),
			LastSeenAt:    optionalTime(m.LastSeenAt),
		}
		if showIDs {
			views[i].ID = s.ID
		}
	}
	return views
}

// optionalTime shows t, or null for the zero time.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

// showIDsFlag declares --show-ids on a command that lists sessions.
func showIDsFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("show-ids", false, "print the sessions' ids, secrets that let anyone who reads them sign in (by default a session is shown by a label, a hash of its id)")
}

// sessionTable returns the header and rows of a session listing, with an
// ID column when the views carry ids, and with origin where each session
// began and was last used (sessions list; users show keeps its table
// short, and --json has it all). A session without metadata (made by a
// Lucia v1 app) shows "-" there; the user agent, sent by the client, is
// cut short and quoted if it holds control characters.
func sessionTable(sessions []sessionView, showIDs, origin bool) ([]string, [][]string) {
	header := []string{"SESSION", "STATE", "ACTIVE UNTIL", "IDLE UNTIL"}
	if origin {
		header = append(header, "CREATED", "LAST SEEN", "ADDRESS", "USER AGENT")
	}
	if showIDs {
		header = append(header, "ID")
	}
	rows := make([][]string, len(sessions))
	for i, s := range sessions {
		rows[i] = []string{s.Label, s.State, s.ActiveExpires, s.IdleExpires}
		if origin {
			rows[i] = append(rows[i], orDash(deref(s.CreatedAt)), orDash(deref(s.LastSeenAt)),
				orDash(printable(s.ClientAddress)), orDash(printable(shorten(s.UserAgent, maxShownUserAgent))))
		}
		if showIDs {
			rows[i] = append(rows[i], s.ID)
		}
	}
	return header, rows
}

// deref is *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// formatAttribute shows an attribute value as pgx decoded it.
func formatAttribute(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	case []byte:
		return fmt.Sprintf("%x", v)
	default:
		return fmt.Sprint(v)
	}
}
