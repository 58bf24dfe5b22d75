// Package machine describes where a benchmark ran, for its reports.
package machine

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Machine describes where a run happened, for the reports.
type Machine struct {
	Date       string `json:"date"`
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"`
	CPUs       int    `json:"cpus"`
	PostgreSQL string `json:"postgresql"`
	// Commit is the checkout's commit (git rev-parse --short HEAD), with
	// "-dirty" when it had uncommitted changes, or "unknown" outside a git
	// checkout: the code a result was measured with.
	Commit string `json:"commit"`
}

// Describe reads the machine's facts and the server version at url.
func Describe(ctx context.Context, url string) (Machine, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return Machine{}, fmt.Errorf("connecting to %s: %w", url, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m := Machine{
		Date:      time.Now().UTC().Format(time.DateOnly),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Commit:    Commit(ctx),
	}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&m.PostgreSQL); err != nil {
		return Machine{}, err
	}
	return m, nil
}

// Commit is the working directory's git commit, abbreviated, with
// "-dirty" when git status reports any change (untracked files included)
// outside bench/results, or "unknown" when git or the checkout is missing.
func Commit(ctx context.Context) string { return commitIn(ctx, "") }

// commitIn is Commit of the checkout at dir ("": the working directory).
func commitIn(ctx context.Context, dir string) string {
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		return cmd.Output()
	}
	head, err := git("rev-parse", "--short", "HEAD")
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(head))
	// The results a run writes are not the code it measured: a run of
	// several parts must not call itself dirty after its first report.
	status, err := git("status", "--porcelain", "--", ":(top,exclude)bench/results")
	if err != nil {
		return "unknown"
	}
	if len(bytes.TrimSpace(status)) > 0 {
		commit += "-dirty"
	}
	return commit
}

// String is the machine on one line.
func (m Machine) String() string {
	commit := m.Commit
	if commit == "" {
		commit = "unknown" // a result written before the commit was recorded
	}
	return fmt.Sprintf("%s, commit %s, %s %s, %d CPUs, PostgreSQL %s (client and server on the same machine)",
		m.Date, commit, m.GoVersion, m.Platform, m.CPUs, m.PostgreSQL)
}
