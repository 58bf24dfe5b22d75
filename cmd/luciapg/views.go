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

// sessionView is a session with its state at the time of the command. Its
// id is a bearer secret: it is shown only when asked for (--show-ids).
type sessionView struct {
	Label         string `json:"label"`
	ID            string `json:"id,omitempty"`
	UserID        string `json:"user_id"`
	State         string `json:"state"`
	ActiveExpires string `json:"active_expires"`
	IdleExpires   string `json:"idle_expires"`
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

func viewSessions(sessions []luciapg.Session, now time.Time, showIDs bool) []sessionView {
	// Longest-lived first: the sessions an admin is looking for.
	slices.SortFunc(sessions, func(a, b luciapg.Session) int { return cmp.Compare(b.IdleExpires, a.IdleExpires) })
	views := make([]sessionView, len(sessions))
	for i, s := range sessions {
		views[i] = sessionView{
			Label:         auth.SessionLabel(s.ID),
			UserID:        s.UserID,
			State:         sessionState(s, now),
			ActiveExpires: formatMillis(s.ActiveExpires),
			IdleExpires:   formatMillis(s.IdleExpires),
		}
		if showIDs {
			views[i].ID = s.ID
		}
	}
	return views
}

// showIDsFlag declares --show-ids on a command that lists sessions.
func showIDsFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("show-ids", false, "print the sessions' ids, secrets that let anyone who reads them sign in (by default a session is shown by a label, a hash of its id)")
}

// sessionTable returns the header and rows of a session listing, with an
// ID column when the views carry ids.
func sessionTable(sessions []sessionView, showIDs bool) ([]string, [][]string) {
	header := []string{"SESSION", "STATE", "ACTIVE UNTIL", "IDLE UNTIL"}
	if showIDs {
		header = append(header, "ID")
	}
	rows := make([][]string, len(sessions))
	for i, s := range sessions {
		rows[i] = []string{s.Label, s.State, s.ActiveExpires, s.IdleExpires}
		if showIDs {
			rows[i] = append(rows[i], s.ID)
		}
	}
	return header, rows
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
