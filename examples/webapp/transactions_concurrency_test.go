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

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

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
// connections, at least one, and a pool of one connection is refused; a
// request waiting for a turn gives up when its context ends, before it
// takes a connection.
func TestTransactionTurns(t *testing.T) {
	t.Parallel()
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	for maxConns, want := range map[int32]int{1: 0, 2: 1, 4: min(2, runtime.GOMAXPROCS(0)), 1000: runtime.GOMAXPROCS(0)} {
		cfg, err := pgxpool.ParseConfig("postgres://127.0.0.1:1/none")
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = maxConns
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects on first use only
		if err != nil {
			t.Fatal(err)
		}
		_, err = newApp(pool, auth.Config{}, discard, appConfig{})
		if want == 0 {
			// A link's transaction would wait forever for a second
			// connection to count its attempt on.
			if err == nil || !strings.Contains(err.Error(), "pool_max_conns=1; the app needs at least 2") {
				t.Errorf("a pool of 1 connection: %v", err)
			}
		} else if got := txTurnCount(pool); err != nil || got != want {
			t.Errorf("a pool of %d connections: %d turns (%v), want %d", maxConns, got, err, want)
		}
		pool.Close()
	}

	a, err := newApp(nil, auth.Config{}, discard, appConfig{})
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

// A thief who knows the old password and logs in while the owner resets
// it gets no session that outlives the reset: here the thief's password
// is checked before the reset, and the session written only after the
// reset ended every session (a trigger holds the insert until then).
func TestLoginRacingAResetKeepsNoSession(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "yvette", "correct horse")
	yvette := app.userIDOf(t, "yvette")
	app.forgot(t, "yvette")
	_, token := app.lastLink(t, "yvette@example.com")
	ctx := context.Background()

	holder, err := app.db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = holder.Exec(ctx, `SELECT pg_advisory_unlock_all()`) }()
	if _, err := app.db.Exec(ctx, `CREATE FUNCTION test_hold_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(4242);
	RETURN NEW;
END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := app.db.Exec(ctx, `CREATE TRIGGER test_hold_session BEFORE INSERT ON auth_session FOR EACH ROW EXECUTE FUNCTION test_hold_session()`); err != nil {
		t.Fatal(err)
	}

	thief := make(chan *http.Cookie, 1)
	go func() {
		form := url.Values{"username": {"yvette"}, "password": {"correct horse"}}
		req, err := http.NewRequest("POST", app.url+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			thief <- nil
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.origin())
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			thief <- nil
			return
		}
		resp.Body.Close()
		thief <- answer{Response: resp}.sessionCookie()
	}()
	app.waitForLockWaiters(t, 1) // the thief's session insert

	// The login holds the key (auth.Login's check) while its insert is
	// held, so the reset's change of the key waits for the login to end:
	// once both wait, let the login go.
	reset := make(chan answer, 1)
	go func() {
		reset <- app.request(t, "POST", "/reset-password", app.origin(), url.Values{"token": {token}, "password": {"battery staple"}})
	}()
	app.waitForLockWaiters(t, 2)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock(4242)`); err != nil {
		t.Fatal(err)
	}
	if got := <-reset; got.StatusCode != http.StatusSeeOther {
		t.Fatalf("the reset: status %d\n%s", got.StatusCode, got.body)
	}
	cookie := <-thief
	if n := app.sessionCount(t, yvette); n != 0 {
		t.Errorf("after the reset yvette has %d sessions, want 0", n)
	}
	if cookie != nil && cookie.Value != "" {
		if got := app.request(t, "GET", "/account", "", nil, cookie); got.StatusCode == http.StatusOK {
			t.Error("the thief's login, checked before the reset, is signed in after it")
		}
	}
}

// A transaction of the app that PostgreSQL aborts to break a deadlock is
// run again and commits: here it holds the user's key and waits for the
// user's row, which another transaction holds while it waits for the key.
// The app's transaction waits first, so its backend finds the deadlock
// first and aborts it; the second attempt finds the way clear.
func TestTransactionAbortedByADeadlockRunsAgain(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	app.signUp(t, "zara", "correct horse")
	zara := app.userIDOf(t, "zara")
	ctx := context.Background()
	other, err := app.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(ctx) }()
	if _, err := other.Exec(ctx, `SELECT 1 FROM auth_user WHERE id = $1 FOR UPDATE`, zara); err != nil {
		t.Fatal(err)
	}

	attempts := 0
	keyHeld := make(chan struct{})
	// The retry waits until the other transaction holds the key: once the
	// first attempt is aborted, the other transaction must still wake and
	// lock the key row, and a retry quicker than that locks it first and
	// deadlocks again (a third attempt, as a CI run once saw).
	otherHasKey := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- app.app.inTx(ctx, func(tx txAuth) error {
			attempts++
			if attempts == 2 {
				<-otherHasKey
			}
			if _, err := tx.tx.Exec(ctx, `SELECT 1 FROM auth_key WHERE id = 'username:zara' FOR UPDATE`); err != nil {
				return err
			}
			if attempts == 1 {
				close(keyHeld)
			}
			_, err := tx.tx.Exec(ctx, `UPDATE auth_user SET email_verified = true WHERE id = $1`, zara)
			return err
		})
	}()
	<-keyHeld
	app.waitForLockWaiters(t, 1) // the app's transaction, for the user's row
	// Waits for the key until PostgreSQL aborts the app's first attempt.
	if _, err := other.Exec(ctx, `SELECT 1 FROM auth_key WHERE id = 'username:zara' FOR UPDATE`); err != nil {
		t.Fatalf("the other transaction was the one aborted: %v", err)
	}
	close(otherHasKey)
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the app's transaction: %v", err)
	}
	if attempts != 2 {
		t.Errorf("the app's transaction ran %d times, want 2", attempts)
	}
	if !app.emailVerified(t, zara) {
		t.Error("the second attempt's write is not there")
	}
	if !strings.Contains(app.logs.String(), "running it again") {
		t.Error("the retry was not logged")
	}
}
