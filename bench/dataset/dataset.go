// Package dataset seeds the users, keys and sessions that luciapg's
// benchmarks run against, with one INSERT ... SELECT generate_series per
// table, and names their ids so that workers can pick rows at random.
//
// User i (0 <= i < users) has id UserID(i), a primary key KeyID(i) whose
// password hash is PasswordHash (148 characters, like an Argon2id hash
// Lucia stores), and two live sessions SessionID(i, 0) and SessionID(i, 1).
// Its username attribute is "user_<i>". The database must have luciapg's
// tables plus adaptertest.AttributeColumns.
package dataset

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what Seed runs its statements on: a pool, connection or transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// SessionsPerUser is how many sessions Seed gives each user.
const SessionsPerUser = 2

// LiveExpires is the active and idle expiry of seeded sessions: far enough
// ahead (in milliseconds since the epoch) that they are always alive.
const LiveExpires int64 = 4_102_444_800_000 // 2100-01-01

// PasswordHash is the hash stored in every seeded key: 148 characters, the
// length of the Argon2id hashes Lucia v1 writes.
var PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$" + strings.Repeat("c2FsdHNhbHQ", 11)[:117]

// UserID is the id of user i: 15 characters, as Lucia generates.
func UserID(i int) string { return fmt.Sprintf("u%014d", i) }

// KeyID is the id of user i's primary key.
func KeyID(i int) string { return fmt.Sprintf("email:u%014d@example.com", i) }

// SessionID is the id of user i's session j: 40 characters, as Lucia
// generates.
func SessionID(i, j int) string { return fmt.Sprintf("s%d%038d", j, i) }

// The SQL below builds the same ids as the functions above.
const (
	userIDSQL = `'u' || lpad(g::text, 14, '0')`
	seedUsers = `INSERT INTO auth_user (id, username) SELECT ` + userIDSQL + `, 'user_' || g FROM generate_series(0, $1::int - 1) AS g`
	seedKeys  = `INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires) SELECT 'email:' || ` + userIDSQL + ` || '@example.com', ` + userIDSQL + `, true, $2::text, NULL FROM generate_series(0, $1::int - 1) AS g`
	// $3 is SessionsPerUser.
	seedSessns = `INSERT INTO auth_session (id, user_id, active_expires, idle_expires) SELECT 's' || j || lpad(g::text, 38, '0'), ` + userIDSQL + `, $2::bigint, $2::bigint FROM generate_series(0, $1::int - 1) AS g, generate_series(0, $3::int - 1) AS j`
)

// Seed inserts users users with their keys and sessions, then analyzes the
// tables so the planner knows their size.
func Seed(ctx context.Context, db DB, users int) error {
	steps := []struct {
		sql  string
		args []any
	}{
		{seedUsers, []any{users}},
		{seedKeys, []any{users, PasswordHash}},
		{seedSessns, []any{users, LiveExpires, SessionsPerUser}},
		{"ANALYZE auth_user, auth_key, auth_session", nil},
	}
	for _, step := range steps {
		if _, err := db.Exec(ctx, step.sql, step.args...); err != nil {
			return fmt.Errorf("dataset: seeding %d users: %w", users, err)
		}
	}
	return nil
}

// SeedDeadSessions inserts n sessions whose idle period ended at
// idleExpires, spread over the first users seeded users, with ids that
// start with "dead".
func SeedDeadSessions(ctx context.Context, db DB, n, users int, idleExpires int64) error {
	_, err := db.Exec(ctx, `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT 'dead' || lpad(g::text, 36, '0'), 'u' || lpad((g % $2::int)::text, 14, '0'), $3::bigint, $3::bigint
FROM generate_series(0, $1::int - 1) AS g`, n, users, idleExpires)
	if err != nil {
		return fmt.Errorf("dataset: seeding %d dead sessions: %w", n, err)
	}
	return nil
}
