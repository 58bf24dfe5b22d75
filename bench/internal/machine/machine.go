// Package machine describes where a benchmark ran, for its reports.
package machine

import (
	"context"
	"fmt"
	"runtime"
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
	}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&m.PostgreSQL); err != nil {
		return Machine{}, err
	}
	return m, nil
}

// String is the machine on one line.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %s %s, %d CPUs, PostgreSQL %s (client and server on the same machine)",
		m.Date, m.GoVersion, m.Platform, m.CPUs, m.PostgreSQL)
}
