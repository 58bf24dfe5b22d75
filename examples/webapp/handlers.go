package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := currentSession(r); ok {
		redirect(w, r, "/account")
		return
	}
	redirect(w, r, "/login")
}

// guestForm serves the empty form of a page for visitors without a
// session (sign up, log in); a signed-in visitor goes to the account page.
func (a *app) guestForm(page, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := currentSession(r); ok {
			redirect(w, r, "/account")
			return
		}
		data := pageData{Title: title}
		flash(&data, r.URL.Query().Get("m"))
		a.render(w, r, http.StatusOK, page, data)
	}
}

func (a *app) signup(w http.ResponseWriter, r *http.Request) {
	username := auth.NormalizeUsername(r.PostFormValue("username"))
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	data := pageData{Title: "Sign up", Form: formValues{Username: username, Email: email}}
	if msg := strings.Join(strings.Fields(checkUsername(username)+" "+checkEmail(email)+" "+checkNewPassword(password)), " "); msg != "" {
		data.Error = msg
		a.render(w, r, http.StatusUnprocessableEntity, "signup", data)
		return
	}
	// CreateUser counts the sign-up against the client's address and
	// refuses a taken name before it hashes the password.
	user, err := a.auth.CreateUser(r.Context(), auth.CreateUserParams{
		Key:        &auth.PrimaryKeyParams{ProviderID: usernameProvider, ProviderUserID: username, Password: password},
		Attributes: map[string]any{"username": username, "email": email},
	})
	if msg, ok := throttled(w, err); ok {
		data.Error = msg
		a.render(w, r, http.StatusTooManyRequests, "signup", data)
		return
	}
	switch {
	case errors.Is(err, luciapg.ErrDuplicateKeyID):
		data.Error = "The username “" + username + "” is taken. Please choose another."
		a.render(w, r, http.StatusConflict, "signup", data)
		return
	case isDuplicateEmail(err):
		data.Error = "Another account uses this email address. Log in, or reset its password from the login page."
		a.render(w, r, http.StatusConflict, "signup", data)
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	// The account (user and key: one statement) is made before, and
	// apart from, its session and link: its password is hashed without
	// holding a connection, as anyone may post this form. Should the
	// session fail, the account is there to log in to; should the link,
	// the account page sends another.
	if err := a.startSession(w, r, user.ID, luciapg.FactorPassword); err != nil {
		a.serverError(w, r, err)
		return
	}
	// The account exists and is signed in whatever happens to the mail:
	// a failure is logged, and the account page offers to send it again.
	if err := a.sendVerification(r.Context(), user.ID, email); err != nil {
		a.log.Error("sending the verification mail failed", "user", user.ID, "err", err)
		redirect(w, r, "/account?m=welcome-mail-failed")
		return
	}
	redirect(w, r, "/account?m=welcome")
}

// wrongLogin is the login form's one answer to a failed attempt, whether
// the username exists or not: the form does not tell who has an account.
const wrongLogin = "Wrong username or password. Please try again."

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	username := auth.NormalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	data := pageData{Title: "Log in", Form: formValues{Username: username}}
	refuse := func() {
		data.Error = wrongLogin
		a.render(w, r, http.StatusUnauthorized, "login", data)
	}
	// Before any lookup: an empty password never opens an account here,
	// even one whose key has no password, and a name outside the rule
	// has no account.
	if password == "" || auth.CheckUsername(username) != nil {
		refuse()
		return
	}
	// BeginLogin writes the session only while the key still holds the
	// hash the password was checked against: a reset or a password change
	// that commits meanwhile ends this login too, instead of missing its
	// session. For a user with a second factor it writes no session but a
	// pending login, which the second step turns into one (and which a
	// password change before then ends as well).
	res, err := a.auth.BeginLogin(r.Context(), usernameProvider, username, password)
	if msg, ok := throttled(w, err); ok {
		data.Error = msg
		a.render(w, r, http.StatusTooManyRequests, "login", data)
		return
	}
	switch {
	case errors.Is(err, luciapg.ErrInvalidKeyID), errors.Is(err, luciapg.ErrInvalidInput),
		errors.Is(err, auth.ErrInvalidPassword), errors.Is(err, auth.ErrPasswordTooLong):
		refuse()
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.finishFirstStep(w, r, res, "/account")
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.endSession(w, r); err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/login?m=signed-out")
}

// requireSession returns the request's session and user, or redirects:
// to the login page without a valid session (with "expired" when the
// browser sent a session cookie that is no longer valid, so the user
// knows why), and to the session's second step when its user has a
// second factor the session has not proven (one a Lucia v1 app made with
// the password alone). Every page and form that needs a session goes
// through it.
func (a *app) requireSession(w http.ResponseWriter, r *http.Request) (auth.Session, luciapg.User, bool) {
	session, user, ok := a.requireSessionOnly(w, r)
	if !ok {
		return session, user, false
	}
	err := a.auth.RequireSecondFactor(r.Context(), session)
	if errors.Is(err, auth.ErrSecondFactorRequired) {
		redirect(w, r, withNext(sessionSecondStepPath, returnPath(r, "/account")))
		return auth.Session{}, luciapg.User{}, false
	}
	if err != nil {
		a.serverError(w, r, err)
		return auth.Session{}, luciapg.User{}, false
	}
	return session, user, true
}

// requireSessionOnly is requireSession without the second factor: for
// the session's second step itself.
func (a *app) requireSessionOnly(w http.ResponseWriter, r *http.Request) (auth.Session, luciapg.User, bool) {
	session, user, ok := currentSession(r)
	if !ok {
		if hadSessionCookie(r) {
			redirect(w, r, "/login?m=expired")
		} else {
			redirect(w, r, "/login?m=login-required")
		}
	}
	return session, user, ok
}

func (a *app) account(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	data := pageData{}
	flash(&data, r.URL.Query().Get("m"))
	a.showAccount(w, r, http.StatusOK, session, user, data)
}

// showAccount renders the account page: the user's address (and a
// change waiting for its link), where they are signed in, their recent
// activity, and their password.
func (a *app) showAccount(w http.ResponseWriter, r *http.Request, status int, session auth.Session, user luciapg.User, data pageData) {
	var err error
	data.Title = "Your account"
	data.Username = displayName(user)
	data.UserID = user.ID
	data.Email, data.EmailVerified = userEmail(user)
	data.HasPassword = hasUsername(user)
	if data.OAuthLinked, err = a.oauthLinked(r, user.ID); err != nil {
		a.serverError(w, r, err)
		return
	}
	if data.Sessions, err = a.sessionRows(r); err != nil {
		a.serverError(w, r, err)
		return
	}
	if data.Activity, data.MoreActivity, err = a.activity(r, 0, accountActivityEvents); err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.pendingEmailChange(r, user.ID, &data); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, status, "account", data)
}

// logoutAll ends every session of the user, this one included. It needs
// sudo mode: a stolen session that could, would lock its owner out.
func (a *app) logoutAll(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok || !a.requireSudo(w, r, session, "/account") {
		return
	}
	if err := a.auth.InvalidateAllUserSessions(r.Context(), user.ID); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.clearSessionCookie(w)
	redirect(w, r, "/login?m=signed-out-everywhere")
}

// changePassword sets a new password, in sudo mode and given the current
// one (sudo mode may have been entered some other way, minutes ago).
func (a *app) changePassword(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok || !a.requireSudo(w, r, session, "/account") {
		return
	}
	current := r.PostFormValue("current_password")
	next := r.PostFormValue("new_password")
	username, _ := user.Attributes["username"].(string)
	fail := func(status int, msg string) {
		a.showAccount(w, r, status, session, user, pageData{Error: msg})
	}
	if username == "" {
		fail(http.StatusConflict, "This account has no username key, so it has no password to change.")
		return
	}
	if msg := checkNewPassword(next); msg != "" {
		fail(http.StatusUnprocessableEntity, msg)
		return
	}
	if current == "" {
		fail(http.StatusUnauthorized, "Your current password is wrong.")
		return
	}
	// UseKey throttles these attempts like logins: a stolen session
	// cannot guess the password here either.
	_, err := a.auth.UseKey(r.Context(), usernameProvider, username, current)
	if msg, ok := throttled(w, err); ok {
		fail(http.StatusTooManyRequests, msg)
		return
	}
	if errors.Is(err, auth.ErrInvalidPassword) || errors.Is(err, auth.ErrPasswordTooLong) {
		fail(http.StatusUnauthorized, "Your current password is wrong.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	// The new session has proven what this one has (the password, and
	// the second factor for a user with one), now.
	proven, _, err := a.auth.SessionFactors(r.Context(), session)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	// Whoever knew the old password may hold a session: end them all and
	// keep this device signed in with a new one — in one transaction with
	// the new password, so that a failure midway never leaves the password
	// changed and those sessions alive. (UseKey above stays outside: its
	// attempt counts whatever happens here.)
	var fresh auth.Session
	err = a.inTx(r.Context(), func(tx txAuth) error {
		if _, err := tx.UpdateKeyPassword(r.Context(), usernameProvider, username, next); err != nil {
			return err
		}
		if err := tx.InvalidateAllUserSessions(r.Context(), user.ID); err != nil {
			return err
		}
		fresh, err = tx.CreateSessionWithFactors(r.Context(), user.ID, proven.Factors...)
		return err
	})
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.setSessionCookie(w, fresh)
	redirect(w, r, "/account?m=password-changed")
}

// hasUsername reports whether the user has a username, and so the
// username key with a password (users of "Sign in with ..." have none).
func hasUsername(user luciapg.User) bool {
	name, _ := user.Attributes["username"].(string)
	return name != ""
}

func displayName(user luciapg.User) string {
	if name, ok := user.Attributes["username"].(string); ok && name != "" {
		return name
	}
	return user.ID
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
