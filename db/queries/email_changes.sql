-- Pending email changes (luciapg_email_change) of
-- luciapg.EmailChangeAdapter: one per user, single-use. Expiry is measured
-- against the caller's @now, never the server's clock; an expired row
-- stays until PurgeExpiredEmailChanges.

-- name: SetEmailChange :exec
-- Replaces the user's pending change, if any; an unknown user fails the
-- foreign key.
INSERT INTO luciapg_email_change (user_id, new_email, token_id, expires_at)
VALUES (@user_id, @new_email, @token_id, @expires_at)
ON CONFLICT (user_id) DO UPDATE SET
    new_email = excluded.new_email,
    token_id = excluded.token_id,
    expires_at = excluded.expires_at,
    created_at = excluded.created_at;

-- name: GetEmailChange :one
SELECT user_id, new_email, token_id, expires_at, created_at
FROM luciapg_email_change
WHERE user_id = @user_id AND expires_at >= @now;

-- name: ConsumeEmailChange :one
-- One statement: of concurrent confirmations, exactly one gets the row.
DELETE FROM luciapg_email_change
WHERE user_id = @user_id AND token_id = @token_id AND expires_at >= @now
RETURNING user_id, new_email, token_id, expires_at, created_at;

-- name: DeleteEmailChange :exec
DELETE FROM luciapg_email_change
WHERE user_id = $1;

-- name: PurgeExpiredEmailChanges :execrows
DELETE FROM luciapg_email_change
WHERE expires_at < @before;
