package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/bench/dataset"
)

// scratchDatabase is a database of the benchmark's own, with luciapg's
// tables and the attribute columns rawpgx is written for, dropped by drop.
type scratchDatabase struct {
	adminURL string
	name     string
	url      string
}

// createScratchDatabase creates an empty luciapg database named after
// purpose on the server at adminURL and seeds users users into it.
func createScratchDatabase(ctx context.Context, adminURL, purpose string, users int) (*scratchDatabase, error) {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	db := &scratchDatabase{adminURL: adminURL, name: "luciapg_bench_" + purpose + "_" + hex.EncodeToString(suffix)}
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	u.Path = "/" + db.name
	db.url = u.String()

	if err := db.admin(ctx, "CREATE DATABASE "+pgx.Identifier{db.name}.Sanitize()); err != nil {
		return nil, err
	}
	if err := db.prepare(ctx, users); err != nil {
		db.drop()
		return nil, err
	}
	return db, nil
}

func (db *scratchDatabase) prepare(ctx context.Context, users int) error {
	if _, err := luciapg.MigrateConnString(ctx, db.url); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, adaptertest.AttributeColumns); err != nil {
		return err
	}
	return dataset.Seed(ctx, conn, users)
}

// drop drops the database, even when the benchmark was interrupted.
func (db *scratchDatabase) drop() {
	if err := db.admin(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{db.name}.Sanitize()+" WITH (FORCE)"); err != nil {
		logf("could not drop %s: %v (drop it by hand)", db.name, err)
	}
}

func (db *scratchDatabase) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, db.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// pool opens a pool of exactly size connections, all opened up front so
// that no measurement pays for a connect.
func (db *scratchDatabase) pool(ctx context.Context, size int) (*pgxpool.Pool, error) {
	return openFullPool(ctx, db.url, size)
}
