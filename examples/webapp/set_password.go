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
// password existed that someone else could have known. It needs sudo
// mode, which for such a user is a fresh sign-in with the provider:
// otherwise whoever held the session could choose a password and keep it
// after the owner signed out of all devices.
func (a *app) setPassword(w http.ResponseWriter, r *http.Request) {
	session, user, ok := a.requireSession(w, r)
	if !ok || !a.requireSudo(w, r, session, "/account") {
		return
	}
	username := auth.NormalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("new_password")
	fail := func(status int, msg string) {
		a.showAccount(w, r, status, session, user, pageData{Error: msg, Form: formValues{Username: username}})
	}
	if hasUsername(user) {
		fail(http.StatusConflict, alreadyHasPassword)
		return
	}
	if msg := strings.Join(strings.Fields(checkUsername(username)+" "+checkNewPassword(password)), " "); msg != "" {
		fail(http.StatusUnprocessableEntity, msg)
		return
	}
	// The key and the username attribute in one transaction: a failure
	// leaves neither, so the name is not taken by a key the account page
	// does not show. The user's row is locked first: of two requests
	// choosing names at once, the second waits here, then finds the
	// first's name and is refused, instead of adding a second key. (The
	// lock allows new sessions of the user meanwhile; the password is
	// hashed under it: see takeTxTurn.)
	ctx := r.Context()
	err := a.inTx(ctx, func(tx txAuth) error {
		var current *string
		if err := tx.tx.QueryRow(ctx, `SELECT username FROM auth_user WHERE id = $1 FOR NO KEY UPDATE`, user.ID).Scan(&current); err != nil {
			return err
		}
		if current != nil && *current != "" {
			return errHasPassword
		}
		// The key first: its primary key is what makes the name unique.
		if _, err := tx.CreateKey(ctx, user.ID, auth.CreateKeyParams{ProviderID: usernameProvider, ProviderUserID: username, Password: password}); err != nil {
			return err
		}
		_, err := tx.UpdateUserAttributes(ctx, user.ID, map[string]any{"username": username})
		return err
	})
	switch {
	case errors.Is(err, errHasPassword):
		fail(http.StatusConflict, alreadyHasPassword)
		return
	case errors.Is(err, luciapg.ErrDuplicateKeyID):
		fail(http.StatusConflict, "The username “"+username+"” is taken. Please choose another.")
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/account?m=password-set")
}

// errHasPassword is a user who already has a username and password, found
// in the transaction setting them.
var errHasPassword = errors.New("the account already has a password")

// alreadyHasPassword answers a user with a password who asks to set one.
const alreadyHasPassword = "This account already has a password: change it below."
