package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
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

// waitForLockWaiters waits until want statements of the app's database
// wait for a lock. Each request of a test holding a row waits for it, or
// for a turn at a transaction if the app runs only one at a time: hence
// the callers' min(2, cap(txTurns)).
func (a *runningApp) waitForLockWaiters(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for waiting := 0; waiting < want; {
		if time.Now().After(deadline) {
			t.Fatalf("%d statements wait for a lock, want %d", waiting, want)
		}
		if err := a.db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // the poll's interval
	}
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

// Two requests choosing different usernames at once, from one session of a
// user without a password, make one username key, not two: the second
// sees the first's name and is refused.
func TestConcurrentSetPasswordsMakeOneKey(t *testing.T) {
	t.Parallel()
	app, _ := startAppWithProvider(t)
	cookie := app.oauthSignIn(t, "888").sessionCookie()
	userID := app.sessionUserID(t, cookie)
	ctx := context.Background()

	// Hold the user's row, so both requests get as far as they can and
	// wait; then let them go together.
	holder, err := app.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback(ctx) }()
	if _, err := holder.Exec(ctx, `SELECT 1 FROM auth_user WHERE id = $1 FOR UPDATE`, userID); err != nil {
		t.Fatal(err)
	}
	statuses := make(chan int, 2)
	for _, name := range []string{"zora", "zelda"} {
		go func() {
			req, err := http.NewRequest("POST", app.url+"/password/set", strings.NewReader(url.Values{"username": {name}, "new_password": {"battery staple"}}.Encode()))
			if err != nil {
				statuses <- 0
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", app.origin())
			req.AddCookie(cookie)
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	app.waitForLockWaiters(t, min(2, cap(app.app.txTurns)))
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[int]int{}
	for range 2 {
		got[<-statuses]++
	}
	if got[http.StatusSeeOther] != 1 || got[http.StatusConflict] != 1 {
		t.Errorf("statuses %v, want one 303 and one 409", got)
	}
	var usernameKeys int
	if err := app.db.QueryRow(ctx, `SELECT count(*) FROM auth_key WHERE user_id = $1 AND id LIKE 'username:%'`, userID).Scan(&usernameKeys); err != nil {
		t.Fatal(err)
	}
	if usernameKeys != 1 {
		t.Errorf("the user has %d username keys, want 1", usernameKeys)
	}
}

// Transactions run at most one per processor and at most half the pool's
// connections, at least one; a request waiting for a turn gives up when
// its context ends, before it takes a connection.
func TestTransactionTurns(t *testing.T) {
	t.Parallel()
	for maxConns, want := range map[int32]int{1: 1, 2: 1, 4: min(2, runtime.GOMAXPROCS(0)), 1000: runtime.GOMAXPROCS(0)} {
		cfg, err := pgxpool.ParseConfig("postgres://127.0.0.1:1/none")
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = maxConns
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects on first use only
		if err != nil {
			t.Fatal(err)
		}
		if got := txTurnCount(pool); got != want {
			t.Errorf("a pool of %d connections: %d turns, want %d", maxConns, got, want)
		}
		pool.Close()
	}

	a, err := newApp(nil, auth.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), appConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range cap(a.txTurns) {
		a.txTurns <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err = a.inTx(ctx, func(txAuth) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("with every turn taken and the context ended: %v, ran %v", err, ran)
	}
}

// Guessing link tokens is counted per client address although each guess
// runs in a transaction that a refusal rolls back: the count is kept on
// the pool, so the guesser is throttled on both kinds of link.
func TestLinkGuessesStayCounted(t *testing.T) {
	t.Parallel()
	smallAddressThrottle := luciapg.ThrottlePolicy{FreeAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour, Window: 24 * time.Hour}
	app := startAppWith(t, appConfig{insecureDevCookies: true}, auth.Config{AddressThrottle: smallAddressThrottle})
	guess := func(attempt int) answer {
		token := strings.Repeat(strconv.Itoa(attempt%10), 43)
		if attempt%2 == 0 {
			return app.request(t, "POST", "/verify-email", app.origin(), url.Values{"token": {token}})
		}
		return app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"battery staple"}})
	}
	for attempt := 1; attempt <= 3; attempt++ {
		if got := guess(attempt); got.StatusCode != http.StatusBadRequest {
			t.Fatalf("guess %d: status %d, want 400", attempt, got.StatusCode)
		}
	}
	wantThrottled(t, "a fourth guess at a reset link", guess(5))
	wantThrottled(t, "a fifth guess, at a verification link", guess(6))
}

// Two submissions of one reset link at once: one sets its password, the
// other is told the link is used, and the password is the winner's.
func TestOneResetLinkSubmittedTwiceAtOnce(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "xenia", "correct horse")
	app.forgot(t, "xenia")
	_, token := app.lastLink(t, "xenia@example.com")
	ctx := context.Background()

	// Hold the link's row, so both submissions reach it and wait; then
	// let them go together.
	holder, err := app.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback(ctx) }()
	if _, err := holder.Exec(ctx, `SELECT 1 FROM auth_key WHERE id = $1 FOR UPDATE`, resetTokenName+":"+token); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		password string
		status   int
	}
	outcomes := make(chan outcome, 2)
	for _, password := range []string{"battery staple", "staple battery"} {
		go func() {
			resp, err := http.PostForm(app.url+"/reset-password", url.Values{"token": {token}, "password": {password}})
			if err != nil {
				outcomes <- outcome{password, 0}
				return
			}
			resp.Body.Close()
			outcomes <- outcome{password, resp.StatusCode}
		}()
	}
	app.waitForLockWaiters(t, min(2, cap(app.app.txTurns)))
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var winner string
	statuses := map[int]int{}
	for range 2 {
		o := <-outcomes
		statuses[o.status]++
		if o.status == http.StatusOK { // the redirect to the login page, followed
			winner = o.password
		}
	}
	if statuses[http.StatusOK] != 1 || statuses[http.StatusBadRequest] != 1 {
		t.Fatalf("statuses %v, want one success (200 after the redirect) and one 400", statuses)
	}
	for _, password := range []string{"correct horse", "battery staple", "staple battery"} {
		if _, ok := app.logIn(t, "xenia", password); ok != (password == winner) {
			t.Errorf("logging in with %q: %v, the winner's password is %q", password, ok, winner)
		}
	}
}
