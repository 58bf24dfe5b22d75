package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// refuseStatements makes every statement of kind ("DELETE", "UPDATE",
// ...) on table fail, as a database error or a crash between two writes
// would, and returns the function that puts things right again.
func (a *runningApp) refuseStatements(t *testing.T, table, kind string) (restore func()) {
	t.Helper()
	ctx := context.Background()
	trigger := pgx.Identifier{"test_refuse_" + strings.ToLower(table+"_"+kind)}.Sanitize()
	if _, err := a.db.Exec(ctx, `CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'test: % on % refused', TG_OP, TG_TABLE_NAME;
END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Exec(ctx, `CREATE TRIGGER `+trigger+` BEFORE `+kind+` ON `+pgx.Identifier{table}.Sanitize()+
		` FOR EACH STATEMENT EXECUTE FUNCTION test_refuse()`); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := a.db.Exec(ctx, `DROP TRIGGER `+trigger+` ON `+pgx.Identifier{table}.Sanitize()); err != nil {
			t.Fatal(err)
		}
	}
}

// userRows returns the user's rows of auth_user, auth_key (tokens
// included) and auth_session as text, to compare before and after. Key
// and session ids and password hashes appear as digests, so a failure
// message shows no secret.
func (a *runningApp) userRows(t *testing.T, userID string) []string {
	t.Helper()
	rows, err := a.db.Query(context.Background(), `
		SELECT 'user ' || u::text FROM auth_user u WHERE id = $1
		UNION ALL SELECT concat_ws(' ', 'key', split_part(id, ':', 1), left(md5(id), 8), user_id, primary_key,
			coalesce('hash ' || left(md5(hashed_password), 8), 'no password'), expires)
			FROM auth_key WHERE user_id = $1
		UNION ALL SELECT concat_ws(' ', 'session', left(md5(id), 8), user_id, active_expires, idle_expires)
			FROM auth_session WHERE user_id = $1
		ORDER BY 1`, userID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantUnchanged fails unless the user's rows are before's.
func (a *runningApp) wantUnchanged(t *testing.T, what, userID string, before []string) {
	t.Helper()
	after := a.userRows(t, userID)
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("%s changed the user's rows:\nbefore:\n%s\nafter:\n%s", what, strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
}

// wantCleanServerError fails unless got is the plain 500 page, which
// names no detail, and the log holds none of secrets.
func (a *runningApp) wantCleanServerError(t *testing.T, what string, got answer, secrets ...string) {
	t.Helper()
	if got.StatusCode != http.StatusInternalServerError || got.body != "Something went wrong. Please try again.\n" {
		t.Errorf("%s: status %d, want 500 with the plain page\n%s", what, got.StatusCode, got.body)
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "request failed") || !strings.Contains(logs, "test: ") {
		t.Errorf("%s: the refused statement is not in the log:\n%s", what, logs)
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("%s: a secret (%d characters) is in the log", what, len(secret))
		}
	}
}

// A reset whose session delete fails — the second of its writes — changes
// nothing: the password, the other sessions (perhaps a thief's) and the
// link all stay as they were, and the same link then works.
func TestPasswordResetFailingMidwayChangesNothing(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUp(t, "ulla", "correct horse")
	ulla := app.userIDOf(t, "ulla")
	thief, ok := app.logIn(t, "ulla", "correct horse")
	if !ok {
		t.Fatal("logging in a second device failed")
	}
	app.forgot(t, "ulla")
	_, token := app.lastLink(t, "ulla@example.com")
	before := app.userRows(t, ulla)

	restore := app.refuseStatements(t, "auth_session", "DELETE")
	reset := url.Values{"token": {token}, "password": {"battery staple"}}
	got := app.request(t, "POST", "/reset-password", app.origin(), reset)
	app.wantCleanServerError(t, "the failed reset", got, token, "battery staple")
	app.wantUnchanged(t, "the failed reset", ulla, before)
	restore()

	if _, ok := app.logIn(t, "ulla", "correct horse"); !ok {
		t.Fatal("after the failed reset the old password does not log in")
	}
	if _, ok := app.logIn(t, "ulla", "battery staple"); ok {
		t.Fatal("after the failed reset the new password logs in")
	}
	if got := app.request(t, "GET", "/account", "", nil, thief); got.StatusCode != http.StatusOK {
		t.Fatalf("after the failed reset the other session is gone: status %d", got.StatusCode)
	}

	got = app.request(t, "POST", "/reset-password", app.origin(), reset)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/login?m=password-reset" {
		t.Fatalf("the same link again: status %d\n%s", got.StatusCode, got.body)
	}
	if n := app.sessionCount(t, ulla); n != 0 {
		t.Errorf("after the reset ulla has %d sessions, want 0", n)
	}
	for name, cookie := range map[string]*http.Cookie{"the laptop's": laptop, "the thief's": thief} {
		if got := app.request(t, "GET", "/account", "", nil, cookie); got.StatusCode != http.StatusSeeOther {
			t.Errorf("%s session after the reset: status %d", name, got.StatusCode)
		}
	}
	if _, ok := app.logIn(t, "ulla", "battery staple"); !ok {
		t.Error("the new password does not log in")
	}
	if !app.emailVerified(t, ulla) {
		t.Error("the reset did not verify the address")
	}
}

// A password change whose session delete fails changes nothing: the old
// password still works and the other device is still signed in; tried
// again, the change goes through.
func TestPasswordChangeFailingMidwayChangesNothing(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	laptop := app.signUp(t, "vesna", "correct horse")
	vesna := app.userIDOf(t, "vesna")
	thief, ok := app.logIn(t, "vesna", "correct horse")
	if !ok {
		t.Fatal("logging in a second device failed")
	}
	before := app.userRows(t, vesna)

	restore := app.refuseStatements(t, "auth_session", "DELETE")
	change := url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}}
	got := app.request(t, "POST", "/password", app.origin(), change, laptop)
	app.wantCleanServerError(t, "the failed change", got, "correct horse", "battery staple", laptop.Value)
	if c := got.sessionCookie(); c != nil && c.Value != laptop.Value {
		t.Errorf("the failed change set a session cookie %q", c.String())
	}
	app.wantUnchanged(t, "the failed change", vesna, before)
	restore()

	if got := app.request(t, "GET", "/account", "", nil, thief); got.StatusCode != http.StatusOK {
		t.Fatalf("after the failed change the other session is gone: status %d", got.StatusCode)
	}
	got = app.request(t, "POST", "/password", app.origin(), change, laptop)
	if got.StatusCode != http.StatusSeeOther || got.sessionCookie() == nil {
		t.Fatalf("the change again: status %d\n%s", got.StatusCode, got.body)
	}
	if n := app.sessionCount(t, vesna); n != 1 {
		t.Errorf("after the change vesna has %d sessions, want 1 (this device's new one)", n)
	}
	if got := app.request(t, "GET", "/account", "", nil, got.sessionCookie()); got.StatusCode != http.StatusOK {
		t.Errorf("the new session cookie: status %d", got.StatusCode)
	}
	if _, ok := app.logIn(t, "vesna", "correct horse"); ok {
		t.Error("the old password still logs in")
	}
}

// Confirming an address whose update fails changes nothing, and the link
// is not spent: the same link then confirms it.
func TestEmailVerificationFailingMidwayKeepsTheLink(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "wilma", "correct horse")
	wilma := app.userIDOf(t, "wilma")
	_, token := app.lastLink(t, "wilma@example.com")
	before := app.userRows(t, wilma)

	restore := app.refuseStatements(t, "auth_user", "UPDATE")
	got := app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {token}})
	app.wantCleanServerError(t, "the failed confirmation", got, token)
	app.wantUnchanged(t, "the failed confirmation", wilma, before)
	restore()

	got = app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {token}})
	if got.StatusCode != http.StatusSeeOther || !app.emailVerified(t, wilma) {
		t.Fatalf("the same link again: status %d, verified %v\n%s", got.StatusCode, app.emailVerified(t, wilma), got.body)
	}
}

// Choosing a username and password whose attribute update fails, and
// whose key could not be taken back either (or the process died), leaves
// no username key: the name is free and the user can try again.
func TestSetPasswordFailingMidwayLeavesNoKey(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)
	cookie := app.oauthSignIn(t, "777").sessionCookie()
	userID := app.sessionUserID(t, cookie)
	before := app.userRows(t, userID)

	restoreUpdate := app.refuseStatements(t, "auth_user", "UPDATE")
	restoreDelete := app.refuseStatements(t, "auth_key", "DELETE")
	set := url.Values{"username": {"yusuf"}, "new_password": {"battery staple"}}
	got := app.request(t, "POST", "/password/set", app.origin(), set, cookie)
	app.wantCleanServerError(t, "the failed set", got, "battery staple")
	app.wantUnchanged(t, "the failed set", userID, before)
	restoreUpdate()
	restoreDelete()

	got = app.request(t, "POST", "/password/set", app.origin(), set, cookie)
	if got.StatusCode != http.StatusSeeOther || app.userIDOf(t, "yusuf") != userID {
		t.Fatalf("setting it again: status %d\n%s", got.StatusCode, got.body)
	}
}
