-- migrate:up

-- The three tables of the Lucia v1 PostgreSQL adapter, column for column.
-- IF NOT EXISTS lets a database that a Lucia v1 app already created adopt
-- these migrations without change.
CREATE TABLE IF NOT EXISTS auth_user (
    id TEXT PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS auth_session (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES auth_user(id) NOT NULL,
    active_expires BIGINT NOT NULL,
    idle_expires BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS auth_key (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES auth_user(id) NOT NULL,
    primary_key BOOLEAN NOT NULL,
    hashed_password TEXT,
    expires BIGINT
);

-- Lookups by owner (sessions and keys of a user, user deletion) and the
-- purge of dead sessions would otherwise scan whole tables.
CREATE INDEX IF NOT EXISTS auth_session_user_id_idx ON auth_session (user_id);
CREATE INDEX IF NOT EXISTS auth_key_user_id_idx ON auth_key (user_id);
CREATE INDEX IF NOT EXISTS auth_session_idle_expires_idx ON auth_session (idle_expires);

-- migrate:down

DROP TABLE auth_key;
DROP TABLE auth_session;
DROP TABLE auth_user;
