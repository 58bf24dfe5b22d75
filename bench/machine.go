package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
)

// machine describes where a run happened, for the reports.
type machine struct {
	Date       string `json:"date"`
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"`
	CPUs       int    `json:"cpus"`
	PostgreSQL string `json:"postgresql"`
}

func describeMachine(ctx context.Context, url string) (machine, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return machine{}, fmt.Errorf("connecting to %s: %w", url, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m := machine{
		Date:      time.Now().UTC().Format(time.DateOnly),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
	}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&m.PostgreSQL); err != nil {
		return machine{}, err
	}
	return m, nil
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %s %s, %d CPUs, PostgreSQL %s (client and server on the same machine)",
		m.Date, m.GoVersion, m.Platform, m.CPUs, m.PostgreSQL)
}
