// Package machine describes where a benchmark ran, for its reports.
package machine

import (
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
	// Commit is the checked-out commit (git rev-parse --short HEAD),
	// with -dirty when the tree has changes, or "unknown" outside git.
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

// String is the machine on one line.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %s %s, %d CPUs, PostgreSQL %s (client and server on the same machine), commit %s",
		m.Date, m.GoVersion, m.Platform, m.CPUs, m.PostgreSQL, m.Commit)
}

// Commit returns the working directory's commit, git rev-parse --short
// HEAD, with "-dirty" when git status shows changes, so that a result
// says what code produced it; "unknown" when git cannot tell.
func Commit(ctx context.Context) string {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(head))
	status, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil || len(strings.TrimSpace(string(status))) > 0 {
		commit += "-dirty"
	}
	return commit
}
