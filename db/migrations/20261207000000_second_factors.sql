-- migrate:up

-- Second factors (luciapg.FactorAdapter), in luciapg's own tables beside
-- Lucia's three, which stay column for column what Lucia v1 made. Every
-- row names its user with ON DELETE CASCADE: Lucia v1 deletes a user's
-- sessions and keys, then the user, and knows nothing of these tables, so
-- the user's deletion must take them along, whoever deletes it. No trigger
-- is added to Lucia's tables: the session cache's (migrations
-- 20261202000000 to 20261206100000) stay the only ones.
--
-- Secrets are stored as the auth core hands them over: a TOTP secret
-- sealed with an application key, recovery codes and ceremony and pending
-- login ids as hashes, never in clear.

-- A user's authenticator app (RFC 6238), at most one. confirmed_at is NULL
-- until the user has entered a correct code: an unconfirmed enrolment is no
-- second factor, and a new one may replace it. last_step is the last time
-- step whose code was accepted, so that a code is used once (0: none yet).
CREATE TABLE IF NOT EXISTS luciapg_totp (
    user_id TEXT PRIMARY KEY REFERENCES auth_user(id) ON DELETE CASCADE,
    encryption_key_id TEXT NOT NULL,
    encrypted_secret BYTEA NOT NULL,
    confirmed_at TIMESTAMPTZ NULL,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (last_step >= 0)
);

-- Single-use recovery codes, by hash; a used one keeps its row (used_at)
-- until the set is replaced, so that it is refused rather than unknown to
-- an operator reading the table. The primary key serves the lookups by
-- user.
CREATE TABLE IF NOT EXISTS luciapg_recovery_code (
    user_id TEXT NOT NULL REFERENCES auth_user(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials. The credential id is the authenticator's, unique
-- across users (WebAuthn's bound: 1,023 bytes). sign_count holds the
-- authenticator's unsigned 32-bit counter, which bigint holds whole.
CREATE TABLE IF NOT EXISTS luciapg_passkey (
    credential_id BYTEA PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_user(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    attestation_type TEXT NOT NULL,
    transports TEXT[] NOT NULL,
    aaguid BYTEA NULL,
    sign_count BIGINT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backup_state BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ NULL,
    CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
    CHECK (char_length(name) BETWEEN 1 AND 100),
    CHECK (aaguid IS NULL OR octet_length(aaguid) = 16),
    CHECK (sign_count BETWEEN 0 AND 4294967295)
);
-- A user's passkeys, oldest first, and the cascade of a user's deletion.
CREATE INDEX IF NOT EXISTS luciapg_passkey_user_id_idx ON luciapg_passkey (user_id, created_at);

-- The WebAuthn user handle of a user with passkeys: random bytes, never
-- the user id (which WebAuthn would hand to authenticators), looked up by
-- a passwordless login. At most 64 bytes (WebAuthn's bound).
CREATE TABLE IF NOT EXISTS luciapg_passkey_user (
    user_id TEXT PRIMARY KEY REFERENCES auth_user(id) ON DELETE CASCADE,
    handle BYTEA NOT NULL UNIQUE,
    CHECK (octet_length(handle) BETWEEN 1 AND 64)
);

-- WebAuthn ceremonies in progress, so that any instance can finish what
-- another began, once. user_id is NULL for a passwordless login. Expired
-- rows stay until the janitor's purge (the expires_at index).
CREATE TABLE IF NOT EXISTS luciapg_webauthn_challenge (
    id TEXT PRIMARY KEY,
    user_id TEXT NULL REFERENCES auth_user(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    data BYTEA NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS luciapg_webauthn_challenge_expires_at_idx ON luciapg_webauthn_challenge (expires_at);
-- Without it, deleting a user would scan the table for its ceremonies.
CREATE INDEX IF NOT EXISTS luciapg_webauthn_challenge_user_id_idx ON luciapg_webauthn_challenge (user_id);

-- Logins whose first factor passed and whose second is awaited. key_id is
-- the key a password login checked and key_hash_digest the SHA-256 of the
-- hash it held then (never the hash): completing the login checks the key
-- still holds it. key_id is no foreign key: a key deleted meanwhile must
-- make the completion fail (ErrKeyChanged), neither block Lucia's delete
-- of the key nor silently delete the login.
CREATE TABLE IF NOT EXISTS luciapg_pending_login (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_user(id) ON DELETE CASCADE,
    client_binding TEXT NOT NULL,
    factors TEXT[] NOT NULL,
    key_id TEXT NULL,
    key_hash_digest TEXT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CHECK ((key_id IS NULL) = (key_hash_digest IS NULL))
);
CREATE INDEX IF NOT EXISTS luciapg_pending_login_user_id_idx ON luciapg_pending_login (user_id);
CREATE INDEX IF NOT EXISTS luciapg_pending_login_expires_at_idx ON luciapg_pending_login (expires_at);

-- What luciapg records of a session beside Lucia's row: the factors that
-- made it and when the user last proved who they are in it. It goes with
-- its session, whoever deletes it (a logout, a purge, a Lucia v1 app); a
-- session a Lucia v1 app made has none. A general name: per-session
-- metadata will live here too. user_id is the session's (SetSessionFactors
-- checks it), kept for lookups by user.
CREATE TABLE IF NOT EXISTS luciapg_session (
    session_id TEXT PRIMARY KEY REFERENCES auth_session(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES auth_user(id) ON DELETE CASCADE,
    factors TEXT[] NOT NULL,
    authenticated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS luciapg_session_user_id_idx ON luciapg_session (user_id);

-- migrate:down

DROP TABLE luciapg_session;
DROP TABLE luciapg_pending_login;
DROP TABLE luciapg_webauthn_challenge;
DROP TABLE luciapg_passkey_user;
DROP TABLE luciapg_passkey;
DROP TABLE luciapg_recovery_code;
DROP TABLE luciapg_totp;
