package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// The not-found errors of arguments people confuse: a username, an email
// address or a key id where a user id goes, a user id or a label where a
// session id goes. Each says what the argument is when the database knows
// it, and what to run instead. None repeats a session id: an argument
// that turns out to be one is never echoed.

// userNotFound is the error for a USER_ID (an argument or --user's value)
// that no user has.
func userNotFound(ctx context.Context, store *luciapg.Store, id string) error {
	if s, err := store.GetSession(ctx, id); err == nil {
		return notFoundf("no user with that id: it is the id of a session of user %s (session ids are secrets: keep them off command lines)", s.UserID)
	}
	if k, err := store.GetKey(ctx, id); err == nil {
		return notFoundf("no user %q: that is a key of user %s; use the user's id, %s", id, k.UserID, k.UserID)
	}
	if !strings.Contains(id, ":") {
		username := auth.UsernameProviderID + ":" + id
		if k, err := store.GetKey(ctx, username); err == nil {
			return notFoundf("no user %q: the key %s belongs to user %s; use the user's id, %s", id, username, k.UserID, k.UserID)
		}
	}
	if strings.Contains(id, ":") {
		return notFoundf("no user %q, nor a key with that id: USER_ID is a user's id as users list prints it (luciapg users list --key-prefix PROVIDER: lists the users with such keys)", id)
	}
	return notFoundf("no user %q: USER_ID is a user's id as users list prints it, not a username or email address (luciapg users show --key PROVIDER:USER finds a user by a key, such as --key %s)", id, keyExample(id))
}

// keyExample is a key id the argument, which has no ":", might have
// meant.
func keyExample(arg string) string {
	switch {
	case strings.Contains(arg, "@"):
		return "email:" + arg
	case auth.CheckUsername(arg) == nil:
		return auth.UsernameProviderID + ":" + arg
	}
	return "username:alice"
}

// keyNotFound is the error for a KEY_ID no key has. forUser is what to
// run when it is a user's id, such as "luciapg users show %s".
func keyNotFound(ctx context.Context, store *luciapg.Store, id, forUser string) error {
	if _, err := store.GetUser(ctx, id); err == nil {
		return notFoundf("no key %q: that is a user's id (%s)", id, fmt.Sprintf(forUser, id))
	}
	if _, err := store.GetSession(ctx, id); err == nil {
		return notFoundf("no key with that id: it is a session's id (session ids are secrets: keep them off command lines)")
	}
	if !strings.Contains(id, ":") {
		return notFoundf("no key %q: a key id is PROVIDER:USER, such as %s (luciapg keys list USER_ID shows a user's keys)", id, keyExample(id))
	}
	return notFoundf("no key %q (luciapg keys list USER_ID shows a user's keys)", id)
}

// sessionNotFound is the error for a SESSION_ID no session has. The
// argument is not repeated unless it is a user's id: it may be a
// mistyped session id.
func sessionNotFound(ctx context.Context, store *luciapg.Store, arg string) error {
	if _, err := store.GetUser(ctx, arg); err == nil {
		return notFoundf("no such session: %q is a user's id; sessions revoke --user %s LABEL revokes one of their sessions by the label sessions list shows, sessions revoke-all %s every one", arg, arg, arg)
	}
	if labelPattern.MatchString(arg) {
		return notFoundf("no such session: that looks like a session's label, as sessions list shows it; revoke by label with sessions revoke --user USER_ID LABEL")
	}
	return notFoundf("no such session: SESSION_ID is a session's whole id, as sessions list --show-ids prints it; to revoke by the label sessions list shows, use sessions revoke --user USER_ID LABEL")
}

// requireUser turns an unknown user id into a not-found error, for
// commands whose empty answer would otherwise hide a typo.
func requireUser(ctx context.Context, store *luciapg.Store, userID string) error {
	_, err := store.GetUser(ctx, userID)
	if errors.Is(err, luciapg.ErrInvalidUserID) {
		return userNotFound(ctx, store, userID)
	}
	return err
}

// unknownUserFlag adds to an unknown --user flag, on a command that takes
// the user id as its argument, how to give it.
func unknownUserFlag(err error, cmd command) error {
	var ee *exitError
	if !errors.As(err, &ee) || !strings.HasPrefix(cmd.args, "USER_ID") ||
		!strings.HasPrefix(ee.msg, "flag provided but not defined: ") || strings.TrimLeft(strings.TrimPrefix(ee.msg, "flag provided but not defined: "), "-") != "user" {
		return err
	}
	ee.msg += fmt.Sprintf("; %s takes the user id as its argument: luciapg %s %s", cmd.path(), cmd.path(), cmd.args)
	return err
}
