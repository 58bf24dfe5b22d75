-- WebAuthn ceremonies (luciapg_webauthn_challenge) and pending logins
-- (luciapg_pending_login) of luciapg.FactorAdapter: short-lived,
-- single-use rows. Expiry is measured against the caller's @now, never the
-- server's clock; an expired row stays until PurgeExpiredCeremonies.

-- name: InsertChallenge :exec
INSERT INTO luciapg_webauthn_challenge (id, user_id, purpose, data, expires_at)
VALUES (@id, @user_id, @purpose, @data, @expires_at);

-- name: ConsumeChallenge :one
-- One statement: of concurrent calls, exactly one gets the row.
DELETE FROM luciapg_webauthn_challenge
WHERE id = @id AND expires_at >= @now
RETURNING id, user_id, purpose, data, expires_at;

-- name: InsertPendingLogin :exec
INSERT INTO luciapg_pending_login (id, user_id, client_binding, factors, key_id, key_hash_digest, expires_at)
VALUES (@id, @user_id, @client_binding, @factors, @key_id, @key_hash_digest, @expires_at);

-- name: GetPendingLogin :one
SELECT id, user_id, client_binding, factors, key_id, key_hash_digest, expires_at
FROM luciapg_pending_login
WHERE id = @id AND expires_at >= @now;

-- name: ConsumePendingLogin :one
-- CompletePendingLogin's first statement: of concurrent completions,
-- exactly one gets the row (the others wait for its transaction, then
-- find the row gone, or back if it rolled back).
DELETE FROM luciapg_pending_login
WHERE id = @id AND expires_at >= @now
RETURNING id, user_id, client_binding, factors, key_id, key_hash_digest, expires_at;

-- name: PurgeExpiredCeremonies :one
-- Ceremonies and pending logins that expired before @before, in one
-- statement; both tables hold few rows, each briefly.
WITH challenges AS (
    DELETE FROM luciapg_webauthn_challenge WHERE luciapg_webauthn_challenge.expires_at < @before RETURNING 1
), pending AS (
    DELETE FROM luciapg_pending_login WHERE luciapg_pending_login.expires_at < @before RETURNING 1
)
SELECT ((SELECT count(*) FROM challenges) + (SELECT count(*) FROM pending))::bigint AS deleted;
