package main

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/luciapg/luciapg"
)

// "Recent activity": the user's own events from the audit log, newest
// first, a page at a time. The account page shows the first few; "More"
// leads to activityPath, which continues from the last event shown (the
// log's Before cursor, an event id: it selects only among this user's
// events, so a crafted one shows nothing of anyone else).
const activityPath = "/account/activity"

// Page sizes: a few events on the account page, more on the activity page.
const (
	accountActivityEvents = 8
	activityPageEvents    = 25
)

// activityRow is one event as the page shows it.
type activityRow struct {
	// What happened, in words.
	What string
	// When says how long ago, At the instant in UTC.
	When string
	At   string
	// Device is the client in plain words, UserAgent its header; Address
	// the client's address. Empty when the event has none.
	Device    string
	UserAgent string
	Address   string
}

// activity reads a page of the request's user's events before the event
// id before (0: the newest), and returns them as rows with the link to the
// next page, "" when there is none. authhttp's AuditEvents reads the
// events of the request's session's user only, whatever else the query
// says.
func (a *app) activity(r *http.Request, before int64, size int) ([]activityRow, string, error) {
	// One more than shown tells whether there is a next page.
	events, err := a.sessions.AuditEvents(r, luciapg.AuditQuery{Before: before, Limit: size + 1})
	if err != nil {
		return nil, "", err
	}
	more := ""
	if len(events) > size {
		events = events[:size]
		more = activityPath + "?before=" + strconv.FormatInt(events[size-1].ID, 10)
	}
	now := a.now()
	rows := make([]activityRow, len(events))
	for i, ev := range events {
		rows[i] = activityRow{
			What:    a.describeEvent(ev),
			When:    sinceText(ev.At, now),
			At:      formatTime(ev.At),
			Address: ev.ClientAddress,
		}
		if ev.UserAgent != "" {
			rows[i].Device, rows[i].UserAgent = describeDevice(ev.UserAgent), ev.UserAgent
		}
	}
	return rows, more, nil
}

// activityPage shows a page of the user's events after the account page's
// first few.
func (a *app) activityPage(w http.ResponseWriter, r *http.Request) {
	_, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	data := pageData{Title: "Your account’s activity", Username: displayName(user)}
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 1 {
		data.Error = "That page of your activity does not exist. Start again from your account page."
		a.render(w, r, http.StatusBadRequest, "activity", data)
		return
	}
	if data.Activity, data.MoreActivity, err = a.activity(r, before, activityPageEvents); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "activity", data)
}

// describeEvent says what an event records in words a user reads, never
// its kind's name.
func (a *app) describeEvent(ev luciapg.AuditEvent) string {
	switch ev.Kind {
	case luciapg.AuditSignUp:
		return "Account created"
	case luciapg.AuditLogin:
		if how := a.factorWords(ev.Detail); how != "" {
			return "Signed in with " + how
		}
		return "Signed in"
	case luciapg.AuditLoginFailed:
		switch ev.Detail {
		case luciapg.FactorPassword:
			return "Failed attempt to sign in: wrong password"
		case luciapg.FactorTOTP:
			return "Failed attempt to sign in: wrong authenticator code"
		case luciapg.FactorRecoveryCode:
			return "Failed attempt to sign in: wrong recovery code"
		case "throttled":
			return "Failed attempt to sign in: too many attempts"
		}
		return "Failed attempt to sign in"
	case luciapg.AuditLogout:
		return "Signed out"
	case luciapg.AuditSessionRevoked:
		return "A session was signed out"
	case luciapg.AuditPasswordChanged:
		return "Password changed"
	case luciapg.AuditPasswordResetRequested:
		return "Password reset link requested"
	case luciapg.AuditPasswordResetCompleted:
		return "Password reset with a mailed link"
	case luciapg.AuditKeyLinked:
		return "Sign-in " + a.signInMethod(ev.Detail) + " added"
	case luciapg.AuditKeyUnlinked:
		return "Sign-in " + a.signInMethod(ev.Detail) + " removed"
	case luciapg.AuditEmailChangeRequested:
		return "Change of email address requested"
	case luciapg.AuditEmailChanged:
		return "Email address changed"
	case luciapg.AuditSecondFactorAdded:
		return "Two-step login: " + secondFactorName(ev.Detail) + " added"
	case luciapg.AuditSecondFactorRemoved:
		return "Two-step login: " + secondFactorName(ev.Detail) + " removed"
	}
	return "Other account activity"
}

// signInMethod names the way of signing in a key event's detail (its
// provider) stands for.
func (a *app) signInMethod(provider string) string {
	switch {
	case provider == usernameProvider:
		return "with a username and password"
	case provider != "" && a.oauth != nil && provider == a.oauth.ProviderID():
		return "with " + a.oauthName
	case provider == "":
		return "method"
	}
	return "with " + provider
}

// factorWords names the factors a login's detail lists ("password+totp")
// in words: "password and authenticator app"; "" for a detail it does not
// know, which is then left out.
func (a *app) factorWords(detail string) string {
	var words []string
	for _, factor := range strings.Split(detail, "+") {
		switch factor {
		case luciapg.FactorPassword:
			words = append(words, "password")
		case luciapg.FactorOAuth:
			words = append(words, cmp.Or(a.oauthName, "another site"))
		case luciapg.FactorTOTP:
			words = append(words, "authenticator app")
		case luciapg.FactorRecoveryCode:
			words = append(words, "recovery code")
		case luciapg.FactorPasskey:
			words = append(words, "passkey")
		default:
			return ""
		}
	}
	return strings.Join(words, " and ")
}

// secondFactorName names a factor (luciapg.Factor*) an event's detail
// holds.
func secondFactorName(factor string) string {
	switch factor {
	case luciapg.FactorTOTP:
		return "authenticator app"
	case luciapg.FactorPasskey:
		return "passkey"
	case luciapg.FactorRecoveryCode, "recovery_codes":
		return "recovery codes"
	}
	return "second factor"
}
