package main

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// txAuth is the auth core working inside one database transaction, with
// the app's links on it: everything written through it commits, or rolls
// back, together.
type txAuth struct {
	*auth.Auth
	// tx is the transaction itself, for the app's own SQL.
	tx            pgx.Tx
	verifications *tokens.IDTokens
	resets        *tokens.IDTokens
}

// rollbackTimeout bounds a rollback run after the request's context
// ended.
const rollbackTimeout = 5 * time.Second

// inTx runs fn in one transaction, with the app's auth core working in it
// (WithAdapter: the same settings, and the same turns at hashing). It
// commits when fn returns nil; otherwise it rolls back, even when the
// request's context has ended, and returns fn's error as it is, so the
// caller tells a refusal from a failure with errors.Is and errors.As.
//
// Handlers making more than one write use it, so that a database error
// or a crash between two writes leaves nothing half done: never a
// password changed while the sessions opened with the old one live on.
//
// Attempt counts (UseKey, a link's Validate) go to the app's throttle
// outside the transaction, as the app's core counts them: a refused
// guess stays counted whatever happens to the transaction.
//
// A transaction PostgreSQL aborts to break a deadlock is run again, up to
// txAttempts times in all: it rolled back whole, so fn starts over on what
// the other transaction committed. (A login writes its session and then,
// apart, the session's factor record, whose foreign keys lock the session
// and then the user; a reset locks the user and then deletes the user's
// sessions: the two can meet in the opposite order.)
func (a *app) inTx(ctx context.Context, fn func(tx txAuth) error) error {
	release, err := a.takeTxTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	for attempt := 1; ; attempt++ {
		err := a.runTx(ctx, fn)
		if attempt == txAttempts || !isDeadlock(err) || ctx.Err() != nil {
			return err
		}
		a.log.Warn("a transaction was aborted to break a deadlock; running it again", "attempt", attempt)
	}
}

// txAttempts is how often inTx runs a transaction that keeps being
// chosen to break a deadlock.
const txAttempts = 3

// isDeadlock reports whether PostgreSQL aborted the transaction to break
// a deadlock (SQLSTATE 40P01).
func isDeadlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40P01"
}

// runTx is one attempt of inTx, on a turn it holds.
//
// The security notices its core raises (a password changed, a second
// factor removed) are held until the commit: a transaction that rolls
// back, or an attempt aborted by a deadlock and run again, tells the user
// of nothing, and the attempt that commits tells them once.
func (a *app) runTx(ctx context.Context, fn func(tx txAuth) error) error {
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// A no-op after Commit.
		rollbackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		_ = tx.Rollback(rollbackCtx)
	}()
	// The transaction's Store stores second factors, sessions' metadata,
	// audit events and email changes too, so that a session made in it
	// gets its factor record and metadata in it, and the events of its
	// writes commit with them.
	store := luciapg.New(tx)
	core, notices := a.auth.WithAdapter(struct {
		luciapg.Adapter
		luciapg.FactorAdapter
		luciapg.DeviceAdapter
		luciapg.AuditAdapter
		luciapg.EmailChangeAdapter
		luciapg.AttemptThrottle
	}{store, store, store, store, store, a.throttle}).HoldNotices()
	defer notices.Discard() // a no-op once sent
	verifications, resets, err := newLinks(core)
	if err != nil {
		return err
	}
	if err := fn(txAuth{Auth: core, tx: tx, verifications: verifications, resets: resets}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	notices.Send()
	return nil
}

// takeTxTurn waits for one of the turns at running a transaction, or for
// ctx to end. A transaction may hash a password (scrypt: tens of
// milliseconds, waiting for a turn at hashing shared with every other
// request) while it holds a connection. There are fewer turns than the
// pool's connections, so the rest of the app (every request checks its
// session) always finds one, and so does a transaction counting an
// attempt on the pool.
func (a *app) takeTxTurn(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case a.txTurns <- struct{}{}:
		return func() { <-a.txTurns }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// minPoolConns is the fewest connections the app's pool may have: a
// transaction checking a link holds one and counts the attempt on
// another.
const minPoolConns = 2

// txTurnCount is how many transactions of inTx run at once: one per
// processor, and at most half the pool's connections (at least one).
func txTurnCount(db *pgxpool.Pool) int {
	n := runtime.GOMAXPROCS(0)
	if db != nil {
		n = min(n, int(db.Config().MaxConns)/2)
	}
	return max(n, 1)
}

// newLinks returns the app's verification and reset links stored through
// core.
func newLinks(core *auth.Auth) (verifications, resets *tokens.IDTokens, err error) {
	if verifications, err = tokens.NewIDTokens(core, verificationTokenName, tokens.IDTokenConfig{ExpiresIn: verificationTokenLifetime}); err != nil {
		return nil, nil, err
	}
	if resets, err = tokens.NewIDTokens(core, resetTokenName, tokens.IDTokenConfig{ExpiresIn: resetTokenLifetime}); err != nil {
		return nil, nil, err
	}
	return verifications, resets, nil
}
