package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The Node project that runs Lucia v1, relative to this package, and the
// versions its package-lock.json pins (checked on start, so a stale
// node_modules cannot pass for the real thing).
const (
	luciaDir                     = "lucia-v1"
	luciaScript                  = "lucia.js"
	wantLuciaAuthVersion         = "1.8.0"
	wantAdapterPostgresqlVersion = "1.0.1"
	wantTokensVersion            = "1.0.2"
	installHint                  = "run `npm ci --prefix interop/lucia-v1` from the repository root (`make test` does it)"
)

// luciaCallTimeout bounds one command, so a hung node process fails its test
// instead of waiting for the whole run's timeout. The slowest command,
// Lucia's scrypt in pure JavaScript, takes about a second on a busy machine.
const luciaCallTimeout = 30 * time.Second

// luciaV1 is a running Lucia v1 app (lucia-v1/lucia.js) on one database.
// Its methods send one command each and wait for the result; they are not
// for concurrent use.
type luciaV1 struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *json.Decoder
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
}

// luciaError is a failure Lucia reported: Code is Lucia's error code, such
// as "AUTH_INVALID_PASSWORD", or "UNEXPECTED" for any other error.
type luciaError struct {
	Code    string
	Message string
}

func (e *luciaError) Error() string {
	if e.Message == "" {
		return "lucia: " + e.Code
	}
	return "lucia: " + e.Code + ": " + e.Message
}

// isLuciaError reports whether err is Lucia's error with the given code.
func isLuciaError(err error, code string) bool {
	var le *luciaError
	return errors.As(err, &le) && le.Code == code
}

// findNode returns the path of node, checking that the pinned packages are
// installed. Without either the test fails, saying what to run.
func findNode(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the Lucia v1 interop tests need Node.js 18 or later on PATH (Debian: apt-get install -y nodejs npm), then %s", installHint)
	}
	for _, pkg := range []string{"lucia-auth", "@lucia-auth/adapter-postgresql", "@lucia-auth/tokens"} {
		if _, err := os.Stat(filepath.Join(luciaDir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("%s is not installed in interop/lucia-v1/node_modules: %s", pkg, installHint)
		}
	}
	return node
}

// startLuciaV1 starts lucia.js with node (from findNode) on databaseURL for
// the rest of the test, and checks that it runs the pinned Lucia.
func startLuciaV1(t testing.TB, node, databaseURL string) *luciaV1 {
	t.Helper()
	cmd := exec.Command(node, luciaScript)
	cmd.Dir = luciaDir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := &luciaV1{
		t:      t,
		cmd:    cmd,
		stdin:  stdin,
		stdout: json.NewDecoder(stdout),
		stderr: &lockedBuffer{},
		done:   make(chan struct{}),
	}
	cmd.Stderr = l.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node %s: %v", luciaScript, err)
	}
	var waitErr error
	go func() {
		// Wait closes stdout once the process is gone, which ends a
		// pending read.
		waitErr = cmd.Wait()
		close(l.done)
	}()
	// Cleanups run last-registered first: this stops node before the
	// test's database is dropped.
	t.Cleanup(func() {
		_ = l.stdin.Close() // lucia.js finishes Lucia's pending queries and exits
		select {
		case <-l.done:
		case <-time.After(luciaCallTimeout):
			_ = cmd.Process.Kill()
			<-l.done
		}
		if waitErr != nil && !t.Failed() {
			t.Errorf("lucia.js exited with %v; its standard error:\n%s", waitErr, l.stderr)
		}
	})

	var versions struct {
		LuciaAuth         string `json:"luciaAuth"`
		AdapterPostgresql string `json:"adapterPostgresql"`
		Tokens            string `json:"tokens"`
	}
	l.mustCall("versions", nil, &versions)
	if versions.LuciaAuth != wantLuciaAuthVersion || versions.AdapterPostgresql != wantAdapterPostgresqlVersion || versions.Tokens != wantTokensVersion {
		t.Fatalf("interop/lucia-v1/node_modules has lucia-auth %s, @lucia-auth/adapter-postgresql %s and @lucia-auth/tokens %s, want %s, %s and %s: %s",
			versions.LuciaAuth, versions.AdapterPostgresql, versions.Tokens,
			wantLuciaAuthVersion, wantAdapterPostgresqlVersion, wantTokensVersion, installHint)
	}
	return l
}

// call runs one Lucia operation (an op of lucia.js) and decodes its result
// into result, unless result is nil. A failure Lucia reports is a
// *luciaError; a broken process fails the test.
func (l *luciaV1) call(op string, args map[string]any, result any) error {
	l.t.Helper()
	type response struct {
		OK      bool            `json:"ok"`
		Result  json.RawMessage `json:"result"`
		Error   string          `json:"error"`
		Message string          `json:"message"`
	}
	replied := make(chan error, 1)
	var resp response
	go func() {
		if err := json.NewEncoder(l.stdin).Encode(map[string]any{"op": op, "args": args}); err != nil {
			replied <- err
			return
		}
		replied <- l.stdout.Decode(&resp)
	}()
	select {
	case err := <-replied:
		if err != nil {
			// The process died or wrote something else than a result:
			// stop it, and show its standard error, which says why.
			_ = l.cmd.Process.Kill()
			<-l.done
			l.t.Fatalf("lucia.js %s: %v; its standard error:\n%s", op, err, l.stderr)
		}
	case <-time.After(luciaCallTimeout):
		_ = l.cmd.Process.Kill()
		l.t.Fatalf("lucia.js %s: no answer in %v; its standard error:\n%s", op, luciaCallTimeout, l.stderr)
	}
	if !resp.OK {
		return &luciaError{Code: resp.Error, Message: resp.Message}
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, result); err != nil {
		l.t.Fatalf("lucia.js %s: decoding its result: %v", op, err)
	}
	return nil
}

// mustCall is call for operations that must succeed.
func (l *luciaV1) mustCall(op string, args map[string]any, result any) {
	l.t.Helper()
	if err := l.call(op, args, result); err != nil {
		l.t.Fatalf("Lucia v1 %s: %v", op, err)
	}
}

// luciaSession is a session as Lucia v1 returns it; expiries are
// milliseconds since the Unix epoch.
type luciaSession struct {
	SessionID     string `json:"sessionId"`
	UserID        string `json:"userId"`
	State         string `json:"state"` // "active" or "idle"
	Fresh         bool   `json:"fresh"` // just created or renewed
	ActiveExpires int64  `json:"activeExpires"`
	IdleExpires   int64  `json:"idleExpires"`
}

// luciaKey is a key as Lucia v1 returns it.
type luciaKey struct {
	Type            string `json:"type"` // "persistent" or "single_use"
	UserID          string `json:"userId"`
	ProviderID      string `json:"providerId"`
	ProviderUserID  string `json:"providerUserId"`
	PasswordDefined bool   `json:"passwordDefined"`
	Primary         bool   `json:"primary"`
}

// The operations the tests use, one method per Lucia v1 call. A password
// of nil means none (Lucia's null).

func (l *luciaV1) createUser(providerID, providerUserID string, password *string) (userID string) {
	l.t.Helper()
	var user struct {
		UserID string `json:"userId"`
	}
	l.mustCall("createUser", map[string]any{"providerId": providerID, "providerUserId": providerUserID, "password": password}, &user)
	return user.UserID
}

func (l *luciaV1) getUser(userID string) error {
	l.t.Helper()
	return l.call("getUser", map[string]any{"userId": userID}, nil)
}

func (l *luciaV1) deleteUser(userID string) {
	l.t.Helper()
	l.mustCall("deleteUser", map[string]any{"userId": userID}, nil)
}

func (l *luciaV1) createKey(userID, providerID, providerUserID string, password *string) luciaKey {
	l.t.Helper()
	var key luciaKey
	l.mustCall("createKey", map[string]any{"userId": userID, "providerId": providerID, "providerUserId": providerUserID, "password": password}, &key)
	return key
}

func (l *luciaV1) getKey(providerID, providerUserID string) (luciaKey, error) {
	l.t.Helper()
	var key luciaKey
	err := l.call("getKey", map[string]any{"providerId": providerID, "providerUserId": providerUserID}, &key)
	return key, err
}

func (l *luciaV1) useKey(providerID, providerUserID string, password *string) (luciaKey, error) {
	l.t.Helper()
	var key luciaKey
	err := l.call("useKey", map[string]any{"providerId": providerID, "providerUserId": providerUserID, "password": password}, &key)
	return key, err
}

func (l *luciaV1) createSession(userID string) luciaSession {
	l.t.Helper()
	var s luciaSession
	l.mustCall("createSession", map[string]any{"userId": userID}, &s)
	return s
}

// validateSession is Lucia's validateSession: an idle session comes back
// renewed, fresh and with a new id.
func (l *luciaV1) validateSession(sessionID string) (luciaSession, error) {
	l.t.Helper()
	var s luciaSession
	err := l.call("validateSession", map[string]any{"sessionId": sessionID}, &s)
	return s, err
}

// getSessionUser returns the session (not renewed) and its user's id.
func (l *luciaV1) getSessionUser(sessionID string) (luciaSession, string, error) {
	l.t.Helper()
	var r struct {
		Session luciaSession `json:"session"`
		UserID  string       `json:"userId"`
	}
	err := l.call("getSessionUser", map[string]any{"sessionId": sessionID}, &r)
	return r.Session, r.UserID, err
}

// getAllUserSessions returns the user's live sessions (and deletes its dead
// ones, as Lucia v1 does).
func (l *luciaV1) getAllUserSessions(userID string) ([]luciaSession, error) {
	l.t.Helper()
	var s []luciaSession
	err := l.call("getAllUserSessions", map[string]any{"userId": userID}, &s)
	return s, err
}

func (l *luciaV1) invalidateSession(sessionID string) {
	l.t.Helper()
	l.mustCall("invalidateSession", map[string]any{"sessionId": sessionID}, nil)
}

// lockedBuffer collects the process's standard error, written by exec's
// copying goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() == 0 {
		return "(empty)"
	}
	return b.buf.String()
}
