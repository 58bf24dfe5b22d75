package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/internal/testdb"
)

// readmePath is the repository's README, whose section "The admin CLI"
// shows a session at the terminal.
const readmePath = "../../README.md"

// readmeStep is one command of the README's example and the output the
// README shows for it.
type readmeStep struct {
	command string
	want    string
}

// readmeCLIExample returns the steps of the first console block in the
// README's section "### The admin CLI".
func readmeCLIExample(t *testing.T) []readmeStep {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("reading the README: %v", err)
	}
	_, section, ok := strings.Cut(string(data), "\n### The admin CLI\n")
	if !ok {
		t.Fatal(`the README has no section "### The admin CLI"`)
	}
	_, block, ok := strings.Cut(section, "\n```console\n")
	if !ok {
		t.Fatal("the admin CLI section has no console block")
	}
	block, _, _ = strings.Cut(block, "\n```\n")
	var steps []readmeStep
	for line := range strings.SplitSeq(block, "\n") {
		if command, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, readmeStep{command: command})
			continue
		}
		if len(steps) == 0 {
			t.Fatalf("the console block starts with output, not a command: %q", line)
		}
		steps[len(steps)-1].want += line + "\n"
	}
	return steps
}

var (
	readmeStdin     = regexp.MustCompile(`^echo '([^']*)' \| (.*)$`)
	readmePSQL      = regexp.MustCompile(`^psql "\$DATABASE_URL" -c '([^']*)'$`)
	readmeCreatedID = regexp.MustCompile(`Created user (\S+)\.`)
)

// readmeExitSuffix prints the exit code after a command that fails.
const readmeExitSuffix = `; echo "exit $?"`

// TestREADMEAdminCLIExample runs the README's admin CLI example on a new,
// empty database, command by command, and compares each output with the
// README's, so that the README shows what the CLI does. The one
// difference allowed is the random user id. Commands are run in-process;
// psql lines run their statement through pgx.
func TestREADMEAdminCLIExample(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	pool := testdb.Pool(t, url, 1)
	steps := readmeCLIExample(t)
	if len(steps) < 5 {
		t.Fatalf("the README's example has %d commands; the parser lost some", len(steps))
	}
	readmeID, actualID := "", ""
	for _, step := range steps {
		line := step.command
		var out string
		if m := readmePSQL.FindStringSubmatch(line); m != nil {
			tag, err := pool.Exec(context.Background(), m[1])
			if err != nil {
				t.Fatalf("$ %s: %v", line, err)
			}
			out = tag.String() + "\n"
		} else {
			stdin := ""
			if m := readmeStdin.FindStringSubmatch(line); m != nil {
				stdin, line = m[1]+"\n", m[2]
			}
			line, showExit := strings.CutSuffix(line, readmeExitSuffix)
			rest, ok := strings.CutPrefix(line, "luciapg ")
			if !ok || strings.ContainsAny(rest, `'"$|;&<>`) {
				t.Fatalf("$ %s: the test runs luciapg commands, psql -c and echo '...' | luciapg only", step.command)
			}
			r := runCLI(t, url, time.Now(), stdin, strings.Fields(rest)...)
			if !showExit {
				r.wantCode(t, exitOK)
			}
			out = r.stdout + r.stderr
			if showExit {
				out += fmt.Sprintf("exit %d\n", r.code)
			}
		}
		if m := readmeCreatedID.FindStringSubmatch(step.want); m != nil {
			readmeID = m[1]
			if m := readmeCreatedID.FindStringSubmatch(out); m != nil {
				actualID = m[1]
			}
		}
		if actualID != "" {
			out = strings.ReplaceAll(out, actualID, readmeID)
		}
		if out != step.want {
			t.Errorf("$ %s\nprinted:\n%s\nthe README shows:\n%s", step.command, out, step.want)
		}
	}
}
