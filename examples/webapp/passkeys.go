package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/passkey"
)

// passkeysPath is the page listing the user's passkeys, where they are
// renamed and removed, and newPasskeyPath the page that adds one.
const (
	passkeysPath   = "/account/passkeys"
	newPasskeyPath = "/account/passkeys/new"
)

// passkeyRow is one of the user's passkeys on the passkeys page.
type passkeyRow struct {
	// ID is the credential id in base64url, which the rename and remove
	// forms post back: it names the passkey, and grants nothing (it is no
	// secret; the authenticator shows it to any site of the same RP ID).
	ID       string
	Name     string
	Created  string
	LastUsed string
}

// newPasskeys configures passkeys for the public origin publicURL: the
// relying party is its host. Browsers refuse an IP address as one, so an
// app served on a loopback address (make webapp: http://127.0.0.1:8080)
// offers passkeys at http://localhost with the same port, which it says
// in the log; one served on another IP address offers none.
func newPasskeys(core *auth.Auth, publicURL string, now func() time.Time, log *slog.Logger) (*passkey.Passkeys, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return nil, nil
	}
	host, origin := u.Hostname(), u.Scheme+"://"+u.Host
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			log.Warn("passkeys are off: browsers need a domain name, and the app is served on an IP address (set -origin)")
			return nil, nil
		}
		host = "localhost"
		origin = u.Scheme + "://localhost"
		if port := u.Port(); port != "" {
			origin += ":" + port
		}
		log.Info("passkeys work at " + origin + ", not at an IP address")
	}
	return passkey.New(core, passkey.Config{
		RPID:          host,
		RPDisplayName: "luciapg example",
		RPOrigins:     []string{origin},
		Now:           now,
		UserName: func(ctx context.Context, userID string) (string, string, error) {
			user, err := core.GetUser(ctx, userID)
			if err != nil {
				return "", "", err
			}
			return totpAccountName(user), displayName(user), nil
		},
	})
}

// passkeysPage lists the user's passkeys, with the forms to add, rename
// and remove them.
func (a *app) passkeysPage(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	if a.passkeys == nil {
		http.NotFound(w, r)
		return
	}
	data := pageData{}
	flash(&data, r.URL.Query().Get("m"))
	a.showPasskeys(w, r, http.StatusOK, session, user, data)
}

func (a *app) showPasskeys(w http.ResponseWriter, r *http.Request, status int, session auth.Session, user luciapg.User, data pageData) {
	passkeys, err := a.passkeys.List(r.Context(), user.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if _, data.Factors, err = a.auth.SessionFactors(r.Context(), session); err != nil {
		a.serverError(w, r, err)
		return
	}
	for _, p := range passkeys {
		row := passkeyRow{ID: base64.RawURLEncoding.EncodeToString(p.CredentialID), Name: p.Name, Created: formatTime(p.CreatedAt), LastUsed: "never"}
		if !p.LastUsedAt.IsZero() {
			row.LastUsed = formatTime(p.LastUsedAt)
		}
		data.Passkeys = append(data.Passkeys, row)
	}
	data.Title = "Passkeys"
	data.Username = displayName(user)
	a.render(w, r, status, "passkeys", data)
}

// signedIn passes the request on when requireSession does: for the
// routes behind authhttp's middleware, which expects a session.
func (a *app) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := a.requireSession(w, r); ok {
			next.ServeHTTP(w, r)
		}
	})
}

// newPasskeyPage shows the form that adds a passkey. It is reached only
// in sudo mode (authhttp's RequireSudo sends a GET to the prompt first and
// back here after), so the browser's dialog is not cut short by one.
func (a *app) newPasskeyPage(w http.ResponseWriter, r *http.Request) {
	if a.passkeys == nil {
		http.NotFound(w, r)
		return
	}
	_, user, _ := currentSession(r)
	a.render(w, r, http.StatusOK, "passkey-new", pageData{Title: "Add a passkey", Username: displayName(user), Passkey: "register"})
}

// postedPasskey is what the rename and remove forms share: the session,
// its user and the credential id they post, or false when it has answered
// the request (no session, passkeys off, no id).
func (a *app) postedPasskey(w http.ResponseWriter, r *http.Request) (auth.Session, luciapg.User, []byte, bool) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return auth.Session{}, luciapg.User{}, nil, false
	}
	if a.passkeys == nil {
		http.NotFound(w, r)
		return auth.Session{}, luciapg.User{}, nil, false
	}
	id, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("id"))
	if err != nil || len(id) == 0 {
		http.Error(w, "No such passkey.", http.StatusBadRequest)
		return auth.Session{}, luciapg.User{}, nil, false
	}
	return session, user, id, true
}

// renamePasskey changes a passkey's label: no sudo mode, as a label opens
// nothing.
func (a *app) renamePasskey(w http.ResponseWriter, r *http.Request) {
	session, user, id, ok := a.postedPasskey(w, r)
	if !ok {
		return
	}
	err := a.passkeys.Rename(r.Context(), session, id, r.PostFormValue("name"))
	switch {
	case errors.Is(err, luciapg.ErrInvalidInput):
		a.showPasskeys(w, r, http.StatusUnprocessableEntity, session, user, pageData{Error: passkeyNameRule})
		return
	case errors.Is(err, luciapg.ErrFactorNotFound):
		a.showPasskeys(w, r, http.StatusNotFound, session, user, pageData{Error: "That passkey is not one of yours any more."})
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, passkeysPath+"?m=passkey-renamed")
}

// passkeyNameRule answers a name that cannot be a passkey's.
const passkeyNameRule = "A passkey's name is 1 to 100 characters, such as “Work laptop”."

// removePasskey (sudo) deletes one of the user's passkeys.
func (a *app) removePasskey(w http.ResponseWriter, r *http.Request) {
	session, user, id, ok := a.postedPasskey(w, r)
	if !ok {
		return
	}
	err := a.passkeys.Remove(r.Context(), session, id) // checks sudo mode
	switch {
	case a.toSudoPrompt(w, r, err, passkeysPath):
		return
	case errors.Is(err, luciapg.ErrFactorNotFound):
		a.showPasskeys(w, r, http.StatusNotFound, session, user, pageData{Error: "That passkey is not one of yours any more."})
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, passkeysPath+"?m=passkey-removed")
}

// passkeyRequest is what static/passkey.js posts: to a begin endpoint,
// Next; to a finish endpoint, the ceremony's Token, the browser's
// Response, and a new passkey's Name.
type passkeyRequest struct {
	Token    string          `json:"token"`
	Response json.RawMessage `json:"response"`
	Name     string          `json:"name"`
	Next     string          `json:"next"`
}

// passkeyAnswer is what the endpoints answer: a ceremony begun (Token and
// Options), a page to go to (Redirect: after success, or to log in or
// confirm who you are), or an Error sentence to show.
type passkeyAnswer struct {
	Token    string          `json:"token,omitempty"`
	Options  json.RawMessage `json:"options,omitempty"`
	Redirect string          `json:"redirect,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// writeJSON answers v as JSON, never cached.
func writeJSON(w http.ResponseWriter, status int, v passkeyAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// passkeyLoginPolicy bounds the passwordless logins one client address
// begins: each stores a ceremony, for anyone who asks.
var passkeyLoginPolicy = luciapg.ThrottlePolicy{FreeAttempts: 30, BaseDelay: 10 * time.Second, MaxDelay: 10 * time.Minute, Window: time.Hour}

// jsonSession is requireSession for the JSON endpoints: the session, or
// an answer sending the browser where requireSession would.
func (a *app) jsonSession(w http.ResponseWriter, r *http.Request, secondFactor bool) (auth.Session, bool) {
	session, _, ok := currentSession(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, passkeyAnswer{Redirect: "/login?m=expired"})
		return auth.Session{}, false
	}
	if !secondFactor {
		return session, true
	}
	err := a.auth.RequireSecondFactor(r.Context(), session)
	if errors.Is(err, auth.ErrSecondFactorRequired) {
		writeJSON(w, http.StatusForbidden, passkeyAnswer{Redirect: withNext(sessionSecondStepPath, "/account")})
		return auth.Session{}, false
	}
	if err != nil {
		a.jsonServerError(w, r, err)
		return auth.Session{}, false
	}
	return session, true
}

func (a *app) jsonServerError(w http.ResponseWriter, r *http.Request, err error) {
	a.logFailure(r, err)
	writeJSON(w, http.StatusInternalServerError, passkeyAnswer{Error: "Something went wrong. Please try again."})
}

// readPasskeyRequest decodes the posted JSON.
func readPasskeyRequest(w http.ResponseWriter, r *http.Request) (passkeyRequest, bool) {
	var req passkeyRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, passkeyAnswer{Error: "The request was malformed. Please reload the page."})
		return req, false
	}
	req.Next = localPath(req.Next)
	return req, true
}

// beginPasskey begins a ceremony for one of the purposes static/passkey.js
// names: "register" (sudo mode), "login" (passwordless), "second-factor"
// (a pending login's), "session-second-factor" (a session's step-up) and
// "sudo".
func (a *app) beginPasskey(w http.ResponseWriter, r *http.Request) {
	if a.passkeys == nil {
		http.NotFound(w, r)
		return
	}
	if _, ok := readPasskeyRequest(w, r); !ok {
		return
	}
	ctx := r.Context()
	var (
		c   passkey.Ceremony
		err error
	)
	switch r.PathValue("purpose") {
	case "register":
		session, ok := a.jsonSession(w, r, true)
		if !ok {
			return
		}
		c, err = a.passkeys.BeginRegistration(ctx, session)
	case "login":
		if addr, ok := auth.ClientAddress(ctx); ok {
			wait, err := a.throttle.CountAttempt(ctx, "webapp:passkey-login:"+a.auth.AddressKey(addr), a.now(), passkeyLoginPolicy)
			if err != nil {
				a.jsonServerError(w, r, err)
				return
			}
			if wait > 0 {
				writeJSON(w, http.StatusTooManyRequests, passkeyAnswer{Error: "Too many attempts. Please wait " + retryAfter(w, wait) + " and try again."})
				return
			}
		}
		c, err = a.passkeys.BeginLogin(ctx)
	case "second-factor":
		c, err = a.passkeys.BeginSecondFactor(ctx, a.sessions.PendingLoginToken(r))
	case "session-second-factor", "sudo":
		session, ok := a.jsonSession(w, r, r.PathValue("purpose") == "sudo")
		if !ok {
			return
		}
		c, err = a.passkeys.BeginReauthentication(ctx, session)
	default:
		http.NotFound(w, r)
		return
	}
	if a.passkeyRefused(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, passkeyAnswer{Token: c.Token, Options: c.Options})
}

// finishPasskey finishes the ceremony beginPasskey began, with the
// browser's response, and answers where to go.
func (a *app) finishPasskey(w http.ResponseWriter, r *http.Request) {
	if a.passkeys == nil {
		http.NotFound(w, r)
		return
	}
	req, ok := readPasskeyRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var (
		session auth.Session
		err     error
		next    = req.Next
	)
	switch r.PathValue("purpose") {
	case "register":
		current, ok := a.jsonSession(w, r, true)
		if !ok {
			return
		}
		// FinishRegistration records the passkey as proven in this
		// session, so the user's first passkey sends it to no second step.
		_, err = a.passkeys.FinishRegistration(ctx, current, req.Token, req.Name, req.Response)
		next = passkeysPath + "?m=passkey-added"
	case "login":
		session, err = a.passkeys.FinishLogin(ctx, req.Token, req.Response)
		next = "/account"
	case "second-factor":
		session, err = a.passkeys.FinishSecondFactor(ctx, a.sessions.PendingLoginToken(r), req.Token, req.Response)
		next = "/account"
	case "session-second-factor", "sudo":
		current, ok := a.jsonSession(w, r, r.PathValue("purpose") == "sudo")
		if !ok {
			return
		}
		err = a.passkeys.FinishReauthentication(ctx, current, req.Token, req.Response)
	default:
		http.NotFound(w, r)
		return
	}
	if a.passkeyRefused(w, r, err) {
		return
	}
	if session.ID != "" {
		a.sessions.CompleteLogin(w, session)
	}
	writeJSON(w, http.StatusOK, passkeyAnswer{Redirect: next})
}

// passkeyRefused answers err, if any, and reports whether it did. The
// sentences name nothing of the request.
func (a *app) passkeyRefused(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, passkey.ErrInvalidPasskey):
		writeJSON(w, http.StatusBadRequest, passkeyAnswer{Error: "That passkey was not accepted. Please try again, or use another way."})
	case errors.Is(err, auth.ErrSudoRequired):
		// Only adding a passkey needs sudo mode here: its page asked
		// for it, which lapsed since.
		writeJSON(w, http.StatusForbidden, passkeyAnswer{Redirect: withNext(sudoPath, newPasskeyPath)})
	case errors.Is(err, auth.ErrInvalidPendingLogin):
		http.SetCookie(w, a.sessions.BlankPendingCookie())
		writeJSON(w, http.StatusUnauthorized, passkeyAnswer{Redirect: "/login?m=second-step-expired"})
	case errors.Is(err, luciapg.ErrFactorExists):
		writeJSON(w, http.StatusConflict, passkeyAnswer{Error: "That passkey is registered already."})
	case errors.Is(err, luciapg.ErrFactorNotFound):
		writeJSON(w, http.StatusConflict, passkeyAnswer{Error: "You have no passkey to use here."})
	case errors.Is(err, luciapg.ErrInvalidInput):
		writeJSON(w, http.StatusUnprocessableEntity, passkeyAnswer{Error: passkeyNameRule})
	default:
		if msg, ok := throttled(w, err); ok {
			writeJSON(w, http.StatusTooManyRequests, passkeyAnswer{Error: msg})
			return true
		}
		a.jsonServerError(w, r, err)
	}
	return true
}
