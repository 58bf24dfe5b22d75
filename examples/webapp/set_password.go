package main

import (
	"errors"
	"net/http"
	"strings"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// setPassword gives a user without a password — one made by "Sign in
// with ..." — a username and password to log in with as well: the key
// "username:<name>" and the username attribute. The session stays: no
// password existed that someone else could have known.
func (a *app) setPassword(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	username := auth.NormalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("new_password")
	fail := func(status int, msg string) {
		a.showAccount(w, r, status, session, user, pageData{Error: msg, Form: formValues{Username: username}})
	}
	if hasUsername(user) {
		fail(http.StatusConflict, "This account already has a password: change it below.")
		return
	}
	if msg := strings.Join(strings.Fields(checkUsername(username)+" "+checkNewPassword(password)), " "); msg != "" {
		fail(http.StatusUnprocessableEntity, msg)
		return
	}
	// The key first: its primary key is what makes the name unique.
	_, err := a.auth.CreateKey(r.Context(), user.ID, auth.CreateKeyParams{ProviderID: usernameProvider, ProviderUserID: username, Password: password})
	if errors.Is(err, luciapg.ErrDuplicateKeyID) {
		fail(http.StatusConflict, "The username “"+username+"” is taken. Please choose another.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if _, err := a.auth.UpdateUserAttributes(r.Context(), user.ID, map[string]any{"username": username}); err != nil {
		// Without the attribute the account page would not know the key:
		// take it back, so the user can try again.
		if delErr := a.auth.DeleteKey(r.Context(), usernameProvider, username); delErr != nil {
			err = errors.Join(err, delErr)
		}
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/account?m=password-set")
}
