package main

import (
	"errors"
	"net/http"

	"github.com/luciapg/luciapg/auth"
)

// "Where you are signed in": the account page lists the user's live
// sessions, each with its device in plain words, where from and when, and
// a button that signs it out; another signs out every session but this
// one.
//
// Neither asks for sudo mode. Signing out a session is what a user does
// when something is wrong (a device lost, a session they do not
// recognise), perhaps from a session of their own that is not fresh: it
// must cost them nothing. A thief holding a stolen session can sign the
// owner out the same way, but gains nothing by it: the owner signs in
// again with what the thief lacks (the password, the second factor) and
// signs the thief out, and everything that would keep the thief in
// (a password, an email address, a second factor, a linked account)
// needs sudo mode.
const (
	revokeSessionPath = "/account/sessions/revoke"
	revokeOthersPath  = "/account/sessions/revoke-others"
)

// sessionRow is one of the user's sessions on the account page: no id,
// only the label the revoke form posts back, which names the session
// among this user's and opens nothing.
type sessionRow struct {
	Label   string
	Current bool
	// Device is the client in plain words; UserAgent its header as sent,
	// for the curious (a tooltip).
	Device    string
	UserAgent string
	// Address is the client's address as the throttles key it, or "".
	Address string
	// SignedIn and LastActive say how long ago, SignedInAt and
	// LastActiveAt the instant in UTC; "" when unknown (a session a Lucia
	// v1 app made has no metadata).
	SignedIn     string
	SignedInAt   string
	LastActive   string
	LastActiveAt string
}

// sessionRows lists the user's live sessions, this one first (the auth
// core's order), as the page shows them.
func (a *app) sessionRows(r *http.Request) ([]sessionRow, error) {
	sessions, err := a.sessions.ListSessions(r)
	if err != nil {
		return nil, err
	}
	now := a.now()
	rows := make([]sessionRow, 0, len(sessions))
	for _, s := range sessions {
		row := sessionRow{Label: s.Label, Current: s.Current, Device: legacyDevice}
		if s.HasMetadata {
			row.Device = describeDevice(s.UserAgent)
			row.UserAgent = s.UserAgent
			row.Address = s.ClientAddress
			row.SignedIn, row.SignedInAt = sinceText(s.CreatedAt, now), formatTime(s.CreatedAt)
			// Signing in is the first use: a session not used since
			// (or whose last use is not written yet) was last active then.
			lastActive := s.CreatedAt
			if s.LastSeenAt.After(lastActive) {
				lastActive = s.LastSeenAt
			}
			row.LastActive, row.LastActiveAt = sinceText(lastActive, now), formatTime(lastActive)
		}
		if s.Current {
			// This request is a use: whatever was last written.
			row.LastActive, row.LastActiveAt = "now", formatTime(now)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// revokeSession signs out the session of the user that the posted label
// names. A label naming none of the user's live sessions (another user's,
// one already ended, a made-up one) changes nothing and says so.
func (a *app) revokeSession(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	label := r.PostFormValue("session")
	if label == auth.SessionLabel(session.ID) {
		// This device's own: the form offers "Log out" for it instead,
		// but a post naming it is a logout.
		a.logout(w, r)
		return
	}
	err := a.sessions.RevokeSession(r, label)
	if errors.Is(err, auth.ErrSessionNotFound) {
		a.showAccount(w, r, http.StatusNotFound, session, user, pageData{Error: "That session is not one of yours, or it has ended already: nothing was signed out."})
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/account?m=session-revoked")
}

// revokeOtherSessions signs out every session of the user but this one.
func (a *app) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := a.requireSession(w, r); !ok {
		return
	}
	if _, err := a.sessions.RevokeOtherSessions(r); err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/account?m=other-sessions-revoked")
}
