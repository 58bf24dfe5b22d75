package main

import (
	"context"
	"flag"
	"strings"
)

// command is one "<group> <name>" subcommand, or a command of one word
// (its group, with an empty name), such as "audit".
type command struct {
	group, name string
	// args is the synopsis of the positional arguments, for usage.
	args string
	// summary is one short line for the command list.
	summary string
	// about is the paragraph of the command's own help.
	about string
	// flags declares the command's own flags on fs; it returns the
	// function that runs the command with the remaining arguments.
	flags func(fs *flag.FlagSet) func(ctx context.Context, c *cmdContext, args []string) error
}

// groups are the commands in the order help lists them, with what each
// is about.
var groups = []struct{ name, summary string }{
	{"migrate", "luciapg's schema migrations"},
	{"users", "users, with their keys and sessions"},
	{"keys", "a user's keys and passwords"},
	{"sessions", "sessions: list, revoke, prune the dead"},
	{"mfa", "users' second factors: status, reset"},
	{"audit", "the audit log: sign-ins, sign-outs and account changes"},
}

var commands = []command{
	{"migrate", "up", "", "apply luciapg's pending migrations",
		"Apply luciapg's pending migrations, each in its own transaction, and list the files applied.",
		migrateUpFlags},
	{"migrate", "status", "", "list luciapg's migrations, applied or pending",
		"List luciapg's migrations, each applied or pending.",
		migrateStatusFlags},
	{"users", "list", "", "list users, newest first when they have a created_at",
		usersListAbout,
		usersListFlags},
	{"users", "create", "", "create a user, with a primary key if --key",
		"Create a user through auth.CreateUser: a Lucia-style random id unless --id, " +
			"and with --key a primary key, whose password --password-stdin reads from " +
			"standard input (hashed as Lucia v1 does). A key without a password can only be " +
			"used through auth.UsePasswordlessKey. A key of the provider \"username\" must " +
			"follow the example web app's rule (auth.CheckUsername: 3 to 31 characters of " +
			"a-z, 0-9, _ and -). A value a UNIQUE attribute column already holds is refused " +
			"with exit code 4.",
		usersCreateFlags},
	{"users", "show", "(USER_ID | --key KEY_ID)", "show a user with their keys and sessions",
		"Show a user's attributes, keys (whether each has a password, never the hash) and " +
			"sessions (labelled by a hash of their id unless --show-ids).",
		usersShowFlags},
	{"users", "delete", "USER_ID", "delete a user with their keys and sessions",
		"Delete a user with their keys and sessions.",
		usersDeleteFlags},
	{"keys", "list", "USER_ID", "list a user's keys",
		"List a user's keys: whether each is primary, has a password, and when it expires.",
		keysListFlags},
	{"keys", "set-password", "KEY_ID", "set a key's password and end the user's sessions",
		"Set a key's password, read as one line from standard input (without echo on a " +
			"terminal; at most 1,024 bytes), and end every session of the key's user, since " +
			"whoever knew the old password may hold one, unless --keep-sessions.",
		keysSetPasswordFlags},
	{"keys", "delete", "KEY_ID", "delete a key that is not a primary key",
		"Delete a key. A user's primary key is refused (exit code 4): delete the user instead.",
		keysDeleteFlags},
	{"sessions", "list", "USER_ID", "list a user's sessions",
		"List a user's sessions, longest-lived first, each active, idle (it would be " +
			"renewed on use) or dead: the first --limit of them (50 unless given), and how " +
			"many there are when there are more. A session is shown by a label, a short " +
			"hash of its id as the example web app shows it, since the id is the secret a " +
			"cookie carries; --show-ids adds the ids.",
		sessionsListFlags},
	{"sessions", "revoke", "(SESSION_ID | --user USER_ID LABEL)", "delete one session",
		"Delete one session, named by its id or, with --user, by the label that listings " +
			"show among that user's sessions. Its id is never repeated in the output.",
		sessionsRevokeFlags},
	{"sessions", "revoke-all", "USER_ID", "delete every session of a user",
		"Delete every session of a user and say how many ended.",
		sessionsRevokeAllFlags},
	{"sessions", "prune", "", "delete dead sessions in batches",
		"Delete the sessions whose idle expiry has passed, in batches of --batch-size, " +
			"with a progress bar on a terminal and one line per batch otherwise. Ctrl-C " +
			"stops it between batches with a summary; run it again to finish.",
		sessionsPruneFlags},
	{"mfa", "status", "--user USER_ID", "show a user's second factors",
		"Show a user's second factors: whether their authenticator app is on, how many " +
			"recovery codes are unused, their passkeys by name with when each was last " +
			"used, and whether a login asks for a second factor. No secret is ever shown.",
		mfaStatusFlags},
	{"mfa", "reset", "--user USER_ID", "remove a user's second factors and end their sessions",
		"For a user who lost their second factors: remove their authenticator app, " +
			"recovery codes and passkeys, and end every session of theirs, in one " +
			"transaction, then say what was removed. The user then logs in with their " +
			"password alone and can enrol again.",
		mfaResetFlags},
	{"audit", "", "[--user USER_ID] [--since DURATION] [--limit N] [--before EVENT_ID]", "list audit events, newest first",
		auditAbout,
		auditFlags},
}

// path is the command's words: "users create", "audit".
func (c command) path() string {
	return strings.TrimSpace(c.group + " " + c.name)
}

// singleCommand returns the command a group of one word is, such as
// "audit", which has no subcommands.
func singleCommand(group string) (command, bool) {
	return findCommand(group, "")
}

func findCommand(group, name string) (command, bool) {
	for _, c := range commands {
		if c.group == group && c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func subcommandsOf(group string) []string {
	var names []string
	for _, c := range commands {
		if c.group == group && c.name != "" {
			names = append(names, c.name)
		}
	}
	return names
}

// groupNames lists the command groups in help order.
func groupNames() []string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.name
	}
	return names
}
