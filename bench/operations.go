package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/rawpgx"
)

// env is what operations run against.
type env struct {
	pool  *pgxpool.Pool
	store *luciapg.Store
	users int
}

// call is one operation performed by one worker, through the Store or the
// raw-pgx twin.
type call func(ctx context.Context, e *env, w *worker) error

// operation is a contract method as the load generator drives it.
type operation struct {
	name string
	// target is the lowest acceptable Store ÷ raw throughput ratio; 0 means
	// the issue sets none.
	target     float64
	store, raw call
	// prepare inserts n rows for a phase to consume (taken with
	// phase.take), and cleanup removes what a phase left behind, created
	// rows included. Both are nil for operations that neither consume nor
	// create rows.
	prepare func(ctx context.Context, e *env, tag string, n int64) error
	cleanup func(ctx context.Context, e *env, tag string) error
}

// consumes reports whether the operation uses up prepared rows.
func (op operation) consumes() bool { return op.prepare != nil }

var hash = dataset.PasswordHash

func randomSessionID(e *env, w *worker) string {
	return dataset.SessionID(w.user(e.users), w.rng.IntN(dataset.SessionsPerUser))
}

// freshID is an id no other call of any phase uses.
func freshID(kind string, w *worker) string {
	return fmt.Sprintf("%s_%s_%d_%d", kind, w.phase.tag, w.index, w.seq)
}

// preparedID is the id of prepared row n of the phase.
func preparedID(kind string, w *worker) (string, error) {
	n, err := w.phase.take()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s_%s_%d", kind, w.phase.tag, n), nil
}

// The rows phases create and consume have ids that start with a kind and
// the phase's tag ($1); cleanups find them with starts_with. $2 is the
// number of rows to prepare, $3 the number of seeded users.
const (
	cleanupNewSessions = `DELETE FROM auth_session WHERE starts_with(id, 'new_session_' || $1 || '_')`
	cleanupNewUsers    = `WITH k AS (DELETE FROM auth_key WHERE starts_with(user_id, 'new_user_' || $1 || '_'))
DELETE FROM auth_user WHERE starts_with(id, 'new_user_' || $1 || '_')`
	prepareDoomedSessions = `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT 'doomed_session_' || $1 || '_' || g, 'u' || lpad((g % $3::int)::text, 14, '0'), 0, 0 FROM generate_series(0, $2::bigint - 1) AS g`
	cleanupDoomedSessions     = `DELETE FROM auth_session WHERE starts_with(id, 'doomed_session_' || $1 || '_')`
	prepareDoomedUsers        = `INSERT INTO auth_user (id) SELECT 'doomed_user_' || $1 || '_' || g FROM generate_series(0, $2::bigint - 1) AS g`
	prepareDoomedUserSessions = `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT 'doomed_user_' || $1 || '_' || g || '_' || j, 'doomed_user_' || $1 || '_' || g, 0, 0
FROM generate_series(0, $2::bigint - 1) AS g, generate_series(1, 2) AS j`
	cleanupDoomedUsers = `WITH s AS (DELETE FROM auth_session WHERE starts_with(user_id, 'doomed_user_' || $1 || '_'))
DELETE FROM auth_user WHERE starts_with(id, 'doomed_user_' || $1 || '_')`
)

// exec runs a preparing or cleaning statement.
func exec(ctx context.Context, e *env, sql string, args ...any) error {
	if _, err := e.pool.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%.60s...: %w", sql, err)
	}
	return nil
}

func newSession(id string, userIndex int) luciapg.Session {
	return luciapg.Session{ID: id, UserID: dataset.UserID(userIndex), ActiveExpires: dataset.LiveExpires, IdleExpires: dataset.LiveExpires}
}

func newKey(userID string) luciapg.Key {
	return luciapg.Key{ID: "email:" + userID, UserID: userID, PrimaryKey: true, HashedPassword: &hash}
}

func storeSetUser(ctx context.Context, store *luciapg.Store, userID string) error {
	key := newKey(userID)
	_, err := store.SetUser(ctx, luciapg.User{ID: userID, Attributes: map[string]any{"username": userID}}, &key)
	return err
}

func rawSetUser(ctx context.Context, db luciapg.DB, userID string) error {
	_, err := rawpgx.SetUserWithKey(ctx, db, userID, userID, newKey(userID))
	return err
}

// inCallersTx runs set inside a transaction of the caller's: BEGIN, the
// insert, COMMIT.
func inCallersTx(set func(context.Context, pgx.Tx, string) error) call {
	return func(ctx context.Context, e *env, w *worker) error {
		tx, err := e.pool.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		if err := set(ctx, tx, freshID("new_user", w)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
}

// operations lists what the load generator can drive, hot reads first.
var operations = []operation{
	{
		name: "GetSessionAndUser", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			_, _, err := e.store.GetSessionAndUser(ctx, randomSessionID(e, w))
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, _, err := rawpgx.GetSessionAndUser(ctx, e.pool, randomSessionID(e, w))
			return err
		},
	},
	{
		name: "GetSession", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.GetSession(ctx, randomSessionID(e, w))
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, err := rawpgx.GetSession(ctx, e.pool, randomSessionID(e, w))
			return err
		},
	},
	{
		name: "GetKey", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.GetKey(ctx, dataset.KeyID(w.user(e.users)))
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, err := rawpgx.GetKey(ctx, e.pool, dataset.KeyID(w.user(e.users)))
			return err
		},
	},
	{
		name: "GetUser",
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.GetUser(ctx, dataset.UserID(w.user(e.users)))
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, err := rawpgx.GetUser(ctx, e.pool, dataset.UserID(w.user(e.users)))
			return err
		},
	},
	{
		name: "GetSessionsByUserID", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.GetSessionsByUserID(ctx, dataset.UserID(w.user(e.users)))
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, err := rawpgx.GetSessionsByUserID(ctx, e.pool, dataset.UserID(w.user(e.users)))
			return err
		},
	},
	{
		name: "GetKeysByUserID",
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.GetKeysByUserID(ctx, dataset.UserID(w.user(e.users)))
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, err := rawpgx.GetKeysByUserID(ctx, e.pool, dataset.UserID(w.user(e.users)))
			return err
		},
	},
	{
		name: "SetSession", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			return e.store.SetSession(ctx, newSession(freshID("new_session", w), w.user(e.users)))
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			return rawpgx.SetSession(ctx, e.pool, newSession(freshID("new_session", w), w.user(e.users)))
		},
		cleanup: func(ctx context.Context, e *env, tag string) error {
			return exec(ctx, e, cleanupNewSessions, tag)
		},
	},
	{
		name: "DeleteSession", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			id, err := preparedID("doomed_session", w)
			if err != nil {
				return err
			}
			return e.store.DeleteSession(ctx, id)
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			id, err := preparedID("doomed_session", w)
			if err != nil {
				return err
			}
			return rawpgx.DeleteSession(ctx, e.pool, id)
		},
		prepare: func(ctx context.Context, e *env, tag string, n int64) error {
			return exec(ctx, e, prepareDoomedSessions, tag, n, e.users)
		},
		cleanup: func(ctx context.Context, e *env, tag string) error {
			return exec(ctx, e, cleanupDoomedSessions, tag)
		},
	},
	{
		name: "DeleteSessionsByUserID", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			id, err := preparedID("doomed_user", w)
			if err != nil {
				return err
			}
			return e.store.DeleteSessionsByUserID(ctx, id)
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			id, err := preparedID("doomed_user", w)
			if err != nil {
				return err
			}
			return rawpgx.DeleteSessionsByUserID(ctx, e.pool, id)
		},
		prepare: func(ctx context.Context, e *env, tag string, n int64) error {
			if err := exec(ctx, e, prepareDoomedUsers, tag, n); err != nil {
				return err
			}
			return exec(ctx, e, prepareDoomedUserSessions, tag, n)
		},
		cleanup: func(ctx context.Context, e *env, tag string) error {
			return exec(ctx, e, cleanupDoomedUsers, tag)
		},
	},
	{
		name: "UpdateKeyPassword", target: 0.95,
		store: func(ctx context.Context, e *env, w *worker) error {
			_, err := e.store.UpdateKeyPassword(ctx, dataset.KeyID(w.user(e.users)), &hash)
			return err
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			_, err := rawpgx.UpdateKeyPassword(ctx, e.pool, dataset.KeyID(w.user(e.users)), &hash)
			return err
		},
	},
	{
		name: "SetUser", target: 0.9,
		store: func(ctx context.Context, e *env, w *worker) error {
			return storeSetUser(ctx, e.store, freshID("new_user", w))
		},
		raw: func(ctx context.Context, e *env, w *worker) error {
			return rawSetUser(ctx, e.pool, freshID("new_user", w))
		},
		cleanup: func(ctx context.Context, e *env, tag string) error {
			return exec(ctx, e, cleanupNewUsers, tag)
		},
	},
	{
		name: "SetUser in caller's tx", target: 0.9,
		store: inCallersTx(func(ctx context.Context, tx pgx.Tx, userID string) error {
			return storeSetUser(ctx, luciapg.New(tx), userID)
		}),
		raw: inCallersTx(func(ctx context.Context, tx pgx.Tx, userID string) error {
			return rawSetUser(ctx, tx, userID)
		}),
		cleanup: func(ctx context.Context, e *env, tag string) error {
			return exec(ctx, e, cleanupNewUsers, tag)
		},
	},
}
