package adaptertest

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
)

// AttributeColumns are the user attribute columns the suite expects on
// auth_user, as PostgreSQL DDL: username as in Lucia's own suite, plus a
// column with a default and a nullable one. An adapter that does not use
// PostgreSQL must behave as if its users had these columns.
const AttributeColumns = `ALTER TABLE auth_user
    ADD COLUMN username TEXT UNIQUE,
    ADD COLUMN plan TEXT NOT NULL DEFAULT 'free',
    ADD COLUMN nickname TEXT`

// Storage reads and writes an adapter's rows directly, bypassing the
// adapter under test. Each method reports whether the row exists rather than
// returning an adapter error.
type Storage interface {
	// InsertUser stores a user with only its username attribute set.
	InsertUser(ctx context.Context, id, username string) error
	InsertSession(ctx context.Context, session luciapg.Session) error
	InsertKey(ctx context.Context, key luciapg.Key) error
	// User returns the user with every attribute column.
	User(ctx context.Context, id string) (luciapg.User, bool, error)
	Session(ctx context.Context, id string) (luciapg.Session, bool, error)
	Key(ctx context.Context, id string) (luciapg.Key, bool, error)
}

// SQLStorage is the Storage of a PostgreSQL database, read and written with
// plain SQL.
func SQLStorage(db luciapg.DB) Storage {
	return sqlStorage{db: db}
}

type sqlStorage struct {
	db luciapg.DB
}

func (s sqlStorage) InsertUser(ctx context.Context, id, username string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO auth_user (id, username) VALUES ($1, $2)`, id, username)
	return err
}

func (s sqlStorage) InsertSession(ctx context.Context, session luciapg.Session) error {
	_, err := s.db.Exec(ctx,
		`INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ($1, $2, $3, $4)`,
		session.ID, session.UserID, session.ActiveExpires, session.IdleExpires)
	return err
}

func (s sqlStorage) InsertKey(ctx context.Context, key luciapg.Key) error {
	_, err := s.db.Exec(ctx,
		`INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires) VALUES ($1, $2, $3, $4, $5)`,
		key.ID, key.UserID, key.PrimaryKey, key.HashedPassword, key.Expires)
	return err
}

func (s sqlStorage) User(ctx context.Context, id string) (luciapg.User, bool, error) {
	rows, err := s.db.Query(ctx, `SELECT * FROM auth_user WHERE id = $1`, id)
	if err != nil {
		return luciapg.User{}, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return luciapg.User{}, false, rows.Err()
	}
	values, err := rows.Values()
	if err != nil {
		return luciapg.User{}, false, err
	}
	user := luciapg.User{Attributes: map[string]any{}}
	for i, field := range rows.FieldDescriptions() {
		if field.Name == "id" {
			user.ID, _ = values[i].(string)
		} else {
			user.Attributes[field.Name] = values[i]
		}
	}
	return user, true, rows.Err()
}

func (s sqlStorage) Session(ctx context.Context, id string) (luciapg.Session, bool, error) {
	var session luciapg.Session
	err := s.db.QueryRow(ctx,
		`SELECT id, user_id, active_expires, idle_expires FROM auth_session WHERE id = $1`, id,
	).Scan(&session.ID, &session.UserID, &session.ActiveExpires, &session.IdleExpires)
	return found(session, err)
}

func (s sqlStorage) Key(ctx context.Context, id string) (luciapg.Key, bool, error) {
	var key luciapg.Key
	err := s.db.QueryRow(ctx,
		`SELECT id, user_id, primary_key, hashed_password, expires FROM auth_key WHERE id = $1`, id,
	).Scan(&key.ID, &key.UserID, &key.PrimaryKey, &key.HashedPassword, &key.Expires)
	return found(key, err)
}

func found[T any](row T, err error) (T, bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, false, nil
	}
	return row, err == nil, err
}
