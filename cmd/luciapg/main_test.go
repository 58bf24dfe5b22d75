package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// runMainEnv makes the test binary behave as the luciapg command, so the
// process-level test runs the real main: exit codes, pipes, signals setup.
const runMainEnv = "LUCIAPG_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestProcessExitCodesAndErrorLines(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	hash := luciaHash
	if _, err := luciapg.New(testdb.Pool(t, url, 1)).SetUser(t.Context(), luciapg.User{ID: "user1"},
		&luciapg.Key{ID: "email:a@example.com", PrimaryKey: true, HashedPassword: &hash}); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		stdin    string
		wantCode int
		wantOut  string
	}{
		{[]string{"migrate", "status"}, "", exitOK, "applied"},
		{[]string{"--version"}, "", exitOK, "luciapg "},
		{[]string{"users", "create", "--help"}, "", exitOK, "Usage: luciapg users create"},
		{[]string{"keys", "set-password", "email:a@example.com"}, "piped password\n", exitOK, "Password set"},
		{[]string{"users", "show", "nobody"}, "", exitNotFound, ""},
		{[]string{"keys", "delete", "email:a@example.com"}, "", exitRefused, ""},
		{[]string{"frobnicate"}, "", exitUsage, ""},
		{[]string{"--database-url", "postgres://u:topsecret@127.0.0.1:1/x?connect_timeout=5", "users", "show", "u"}, "", exitFailure, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(exe, tt.args...)
			cmd.Env = append(os.Environ(), runMainEnv+"=1", "DATABASE_URL="+url)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr %q", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantOut)
			}
			errText := stderr.String()
			if code == exitOK && errText != "" {
				t.Errorf("a successful run wrote to stderr: %q", errText)
			}
			if code != exitOK && (strings.Count(errText, "\n") != 1 || !strings.HasPrefix(errText, "luciapg: ")) {
				t.Errorf("stderr is not one 'luciapg: ' line: %q", errText)
			}
			if strings.Contains(errText, "topsecret") || strings.Contains(errText, "piped password") {
				t.Errorf("stderr leaks a secret: %q", errText)
			}
		})
	}
}
