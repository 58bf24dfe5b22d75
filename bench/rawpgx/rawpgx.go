// Package rawpgx is the baseline luciapg's benchmarks measure the Store
// against: each hot operation of the adapter contract written by hand as a
// single pgx statement with static SQL and typed scans, for a schema whose
// only attribute columns are those of adaptertest.AttributeColumns
// (username, plan, nickname). Each function returns the same data as the
// Store method of the same name, so the ratio between the two is the cost
// of luciapg's generality (dynamic attribute columns, error mapping, input
// checks), nothing else.
package rawpgx

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
)

// userAttributes builds the Attributes map the Store returns: the
// column's value, or nil for NULL.
func userAttributes(username *string, plan string, nickname *string) map[string]any {
	return map[string]any{
		"username": textOrNil(username),
		"plan":     plan,
		"nickname": textOrNil(nickname),
	}
}

func textOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// GetSessionAndUser reads a session joined to its user.
func GetSessionAndUser(ctx context.Context, db luciapg.DB, sessionID string) (luciapg.Session, luciapg.User, error) {
	var (
		s                  luciapg.Session
		u                  luciapg.User
		username, nickname *string
		plan               string
	)
	err := db.QueryRow(ctx, `SELECT s.id, s.user_id, s.active_expires, s.idle_expires, u.id, u.username, u.plan, u.nickname
FROM auth_session AS s JOIN auth_user AS u ON u.id = s.user_id WHERE s.id = $1`, sessionID).
		Scan(&s.ID, &s.UserID, &s.ActiveExpires, &s.IdleExpires, &u.ID, &username, &plan, &nickname)
	if err != nil {
		return luciapg.Session{}, luciapg.User{}, err
	}
	u.Attributes = userAttributes(username, plan, nickname)
	return s, u, nil
}

// GetUser reads a user.
func GetUser(ctx context.Context, db luciapg.DB, userID string) (luciapg.User, error) {
	var (
		u                  luciapg.User
		username, nickname *string
		plan               string
	)
	err := db.QueryRow(ctx, `SELECT id, username, plan, nickname FROM auth_user WHERE id = $1`, userID).
		Scan(&u.ID, &username, &plan, &nickname)
	if err != nil {
		return luciapg.User{}, err
	}
	u.Attributes = userAttributes(username, plan, nickname)
	return u, nil
}

// SetUserWithKey inserts a user with a username and its key in one
// statement and returns the stored user.
func SetUserWithKey(ctx context.Context, db luciapg.DB, userID, username string, key luciapg.Key) (luciapg.User, error) {
	var (
		u                    luciapg.User
		storedName, nickname *string
		plan                 string
	)
	err := db.QueryRow(ctx, `WITH new_user AS (
  INSERT INTO auth_user (id, username) VALUES ($1, $2) RETURNING id, username, plan, nickname
), new_key AS (
  INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires)
  SELECT $3, new_user.id, $4, $5, $6 FROM new_user
)
SELECT id, username, plan, nickname FROM new_user`,
		userID, username, key.ID, key.PrimaryKey, key.HashedPassword, key.Expires).
		Scan(&u.ID, &storedName, &plan, &nickname)
	if err != nil {
		return luciapg.User{}, err
	}
	u.Attributes = userAttributes(storedName, plan, nickname)
	return u, nil
}

// GetKey reads a key.
func GetKey(ctx context.Context, db luciapg.DB, keyID string) (luciapg.Key, error) {
	var k luciapg.Key
	err := db.QueryRow(ctx, `SELECT id, user_id, primary_key, hashed_password, expires FROM auth_key WHERE id = $1`, keyID).
		Scan(&k.ID, &k.UserID, &k.PrimaryKey, &k.HashedPassword, &k.Expires)
	return k, err
}

// GetKeysByUserID reads a user's keys.
func GetKeysByUserID(ctx context.Context, db luciapg.DB, userID string) ([]luciapg.Key, error) {
	rows, err := db.Query(ctx, `SELECT id, user_id, primary_key, hashed_password, expires FROM auth_key WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	keys := []luciapg.Key{}
	var k luciapg.Key
	_, err = pgx.ForEachRow(rows, []any{&k.ID, &k.UserID, &k.PrimaryKey, &k.HashedPassword, &k.Expires}, func() error {
		keys = append(keys, k)
		return nil
	})
	return keys, err
}

// UpdateKeyPassword sets a key's password hash and returns the key.
func UpdateKeyPassword(ctx context.Context, db luciapg.DB, keyID string, hashedPassword *string) (luciapg.Key, error) {
	var k luciapg.Key
	err := db.QueryRow(ctx, `UPDATE auth_key SET hashed_password = $2 WHERE id = $1 RETURNING id, user_id, primary_key, hashed_password, expires`, keyID, hashedPassword).
		Scan(&k.ID, &k.UserID, &k.PrimaryKey, &k.HashedPassword, &k.Expires)
	return k, err
}

// GetSession reads a session.
func GetSession(ctx context.Context, db luciapg.DB, sessionID string) (luciapg.Session, error) {
	var s luciapg.Session
	err := db.QueryRow(ctx, `SELECT id, user_id, active_expires, idle_expires FROM auth_session WHERE id = $1`, sessionID).
		Scan(&s.ID, &s.UserID, &s.ActiveExpires, &s.IdleExpires)
	return s, err
}

// GetSessionsByUserID reads a user's sessions.
func GetSessionsByUserID(ctx context.Context, db luciapg.DB, userID string) ([]luciapg.Session, error) {
	rows, err := db.Query(ctx, `SELECT id, user_id, active_expires, idle_expires FROM auth_session WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	sessions := []luciapg.Session{}
	var s luciapg.Session
	_, err = pgx.ForEachRow(rows, []any{&s.ID, &s.UserID, &s.ActiveExpires, &s.IdleExpires}, func() error {
		sessions = append(sessions, s)
		return nil
	})
	return sessions, err
}

// SetSession inserts a session.
func SetSession(ctx context.Context, db luciapg.DB, s luciapg.Session) error {
	_, err := db.Exec(ctx, `INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ($1, $2, $3, $4)`,
		s.ID, s.UserID, s.ActiveExpires, s.IdleExpires)
	return err
}

// DeleteSession deletes a session.
func DeleteSession(ctx context.Context, db luciapg.DB, sessionID string) error {
	_, err := db.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, sessionID)
	return err
}

// DeleteSessionsByUserID deletes a user's sessions.
func DeleteSessionsByUserID(ctx context.Context, db luciapg.DB, userID string) error {
	_, err := db.Exec(ctx, `DELETE FROM auth_session WHERE user_id = $1`, userID)
	return err
}
