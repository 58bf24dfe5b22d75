package luciapg

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// Reconnection backoff of the listener: it doubles from the first delay
// to the last while the server refuses.
const (
	listenRetryFirst = 50 * time.Millisecond
	listenRetryMax   = 5 * time.Second
)

// connectAndListen opens the listening connection and LISTENs. When it
// returns, every later commit that notifies reaches this connection.
func (c *SessionCache) connectAndListen(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(c.cfg.ListenConnString)
	if err != nil {
		return nil, ExplainConnectError(err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		// Lets an operator find it in pg_stat_activity.
		cfg.RuntimeParams["application_name"] = "luciapg session cache"
	}
	// A heartbeat's timeout only interrupts the read; the default handler
	// would also open a connection to send a cancel request each time.
	cfg.BuildContextWatcherHandler = func(pgConn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pgConn.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, ExplainConnectError(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+SessionCacheChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// listen applies notifications until ctx ends, reconnecting whenever the
// connection is lost. While it is lost, the cache bypasses its memory.
func (c *SessionCache) listen(ctx context.Context, conn *pgx.Conn) {
	defer close(c.stopped)
	for {
		err := c.receive(ctx, conn)
		conn.Close(context.Background())
		c.setListening(false)
		if ctx.Err() != nil {
			c.cfg.Logger.Info("luciapg session cache: closed")
			return
		}
		c.cfg.Logger.Warn("luciapg session cache: lost the listening connection; reading through to the Store until it is back",
			"error", firstLine(err))
		conn = c.reconnect(ctx)
		if conn == nil {
			c.cfg.Logger.Info("luciapg session cache: closed")
			return
		}
		c.stats.reconnects.Add(1)
		c.setListening(true)
		c.cfg.Logger.Info("luciapg session cache: listening again; dropped every entry, since notifications may have been missed")
	}
}

// receive applies notifications until the connection fails, a heartbeat
// check fails, or ctx ends.
func (c *SessionCache) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, c.cfg.Heartbeat)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			c.apply(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Silence: check that the server still answers.
			pingCtx, cancel := context.WithTimeout(ctx, c.cfg.Heartbeat)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return err
			}
			if c.hooks.afterHeartbeat != nil {
				c.hooks.afterHeartbeat()
			}
		default:
			return err
		}
	}
}

// reconnect retries connectAndListen with backoff until it succeeds (the
// connection) or ctx ends (nil).
func (c *SessionCache) reconnect(ctx context.Context) *pgx.Conn {
	delay := listenRetryFirst
	for {
		conn, err := c.connectAndListen(ctx)
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		c.cfg.Logger.Warn("luciapg session cache: reconnecting failed", "error", firstLine(err), "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// apply evicts what one notification names. A payload it does not
// understand drops everything: better a miss than a stale read.
func (c *SessionCache) apply(payload string) {
	kind, hexKey, _ := strings.Cut(payload, ":")
	var key cacheKey
	valid := len(hexKey) == hex.EncodedLen(len(key))
	if valid {
		_, err := hex.Decode(key[:], []byte(hexKey))
		valid = err == nil
	}
	switch {
	case payload == "*":
		c.flush(&c.stats.evictedFlushed)
	case kind == "s" && valid:
		c.evictSession(key, &c.stats.evictedNotified)
	case kind == "u" && valid:
		c.evictUser(key, &c.stats.evictedNotified)
	default:
		c.cfg.Logger.Warn("luciapg session cache: unknown notification; dropped every entry", "payload_bytes", len(payload))
		c.flush(&c.stats.evictedFlushed)
	}
	if c.hooks.afterNotification != nil {
		c.hooks.afterNotification(payload)
	}
}
