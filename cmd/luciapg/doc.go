// Command luciapg administers the Lucia v1 tables (auth_user, auth_key,
// auth_session) of a PostgreSQL database: it applies luciapg's migrations,
// creates, shows and deletes users, manages their keys and passwords,
// lists, revokes and prunes sessions, shows or resets a user's second
// factors, and reads the audit log.
//
// Install it with
//
//	go install github.com/luciapg/luciapg/cmd/luciapg@latest
//
// Usage:
//
//	luciapg [flags] <command> [<subcommand>] [flags] [arguments]
//
//	migrate up                          apply luciapg's pending migrations
//	migrate status                      list luciapg's migrations, applied or pending
//	users list [--limit N] [--after USER_ID] [--key-prefix PREFIX] [--attr NAME=VALUE]...
//	users create [--id ID] [--key PROVIDER:USER] [--password-stdin] [--attr NAME=VALUE]...
//	users show [--show-ids] (USER_ID | --key KEY_ID)
//	users delete USER_ID                delete the user with their keys and sessions
//	keys list USER_ID
//	keys set-password [--keep-sessions] KEY_ID
//	                                    read the new password from standard input;
//	                                    end the user's sessions unless --keep-sessions
//	keys delete KEY_ID                  (never a primary key)
//	sessions list [--limit N] [--show-ids] USER_ID
//	sessions revoke (SESSION_ID | --user USER_ID LABEL)
//	sessions revoke-all USER_ID
//	sessions prune [--batch-size N] [--dry-run]
//	mfa status --user USER_ID           a user's second factors (never a secret)
//	mfa reset --user USER_ID            remove them all and end the user's sessions
//	audit [--user USER_ID] [--since DURATION] [--limit N] [--before EVENT_ID]
//	                                    the audit log, newest first
//
// The database is --database-url, else the DATABASE_URL environment
// variable, else the local server's postgres database
// (postgres://postgres@127.0.0.1:5432/postgres, the example web app's
// default too), which a command names on standard error before using it
// ("luciapg: neither --database-url nor DATABASE_URL is set: using the
// default database 127.0.0.1:5432/postgres"). Flags may come before, between or after the words and
// arguments; after "--" everything is an argument. Tables are aligned for
// people; --json prints one JSON document for scripts instead. "luciapg
// help", "luciapg users --help" and "luciapg users create --help" print
// help wrapped at 80 columns; --version prints the build's version from
// its embedded build information.
//
// users list shows users newest first when the application has added a
// created_at column to auth_user (Lucia's schema has no creation time),
// else by id; --after USER_ID continues after the last user of a page, by
// the key of the order rather than an offset. Session ids are bearer
// secrets: listings show a label, a short hash of the id as the example
// web app shows it, unless --show-ids; sessions revoke --user USER_ID LABEL
// revokes one by its label, among that user's sessions only.
//
// audit lists the audit log the auth core writes (sign-ups, logins and
// failed ones, logouts, revoked sessions, password and email changes,
// second factors), newest first: everyone's, or one user's with --user
// (kept after the user is deleted, until the janitor's retention); --since
// takes a Go duration (30m, 24h), whole days (7d) or an RFC 3339 time;
// --limit N events (100 unless given, at most 1,000), and the output names
// the --before EVENT_ID of the next page. sessions revoke, sessions
// revoke-all and mfa reset record their change in the log with the change
// itself (detail "luciapg sessions revoke" and so on). sessions list shows
// each session's creation time, last use, address and user agent ("-" for
// a session a Lucia v1 app made).
//
// Passwords are never taken from the command line, where other users of the
// machine could read them: set-password and --password-stdin read one line
// from standard input, without echo when it is a terminal. A password is
// at most 1,024 bytes (auth.DefaultMaxPasswordBytes), the longest a login
// accepts.
//
// keys set-password ends every session of the key's user, since whoever
// knew the old password may hold one, and says how many it ended;
// --keep-sessions leaves them alive. users create --key without
// --password-stdin makes a key with no password, which auth.UseKey
// refuses: it can only be used through auth.UsePasswordlessKey, as the
// command says. A key of the provider "username" must follow the example
// web app's rule for usernames (auth.CheckUsername: 3 to 31 characters of
// a-z, 0-9, "_" and "-"), so that its login form can find it.
//
// Exit codes:
//
//	0    success
//	1    failure: the database could not be reached or refused the operation
//	2    usage error: unknown command, bad flag, missing argument
//	3    not found: no such user, key or session
//	4    refused: the id or key is already taken, a UNIQUE attribute column
//	     already holds the value, or the key is a user's primary key
//	130  interrupted (Ctrl-C); a prune stops between batches
//
// Errors are printed as one line on standard error, never with a password,
// a password hash, a session id or an --attr VALUE in it. An argument that
// names nothing says what it is when the database knows (a username or key
// id where a user id goes, a user id or label where a session id goes:
// sessions revoke --user USER_ID LABEL) and what to run instead.
package main
