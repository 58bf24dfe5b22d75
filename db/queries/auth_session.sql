-- name: GetSession :one
SELECT id, user_id, active_expires, idle_expires
FROM auth_session
WHERE id = $1;

-- name: GetSessionsByUserID :many
-- The Store runs this text (exported as dbgen.GetSessionsByUserID) with its
-- own scanning, straight into luciapg.Session; see list_queries.go.
SELECT id, user_id, active_expires, idle_expires
FROM auth_session
WHERE user_id = $1
ORDER BY id;

-- name: InsertSession :exec
INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
VALUES ($1, $2, $3, $4);

-- name: DeleteSession :exec
DELETE FROM auth_session
WHERE id = $1;

-- name: DeleteSessionsByUserID :exec
DELETE FROM auth_session
WHERE user_id = $1;

-- name: DeleteDeadSessionsBatch :execrows
-- One batch of the purge: at most @batch_size sessions whose idle period
-- ended before @now_millis (Lucia treats a session as alive while now <=
-- idle_expires), the longest dead first, deleted by row address (ctid),
-- which the row locks keep stable. The ORDER BY keeps the planner on the
-- idle_expires index: with most of the table dead it would otherwise pick
-- a sequential scan that re-reads every page emptied by earlier batches.
-- SKIP LOCKED lets purges run side by side and never waits on a session a
-- request is changing; that session is dead and a later batch takes it.
DELETE FROM auth_session
WHERE ctid = ANY (ARRAY(
    SELECT dead.ctid
    FROM auth_session AS dead
    WHERE dead.idle_expires < @now_millis
    ORDER BY dead.idle_expires
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
));

-- name: SetPurgingBefore :exec
-- Tells the session cache's delete trigger, for the rest of this
-- transaction, that the purge deletes the sessions whose idle period ended
-- before @before_millis: their deletes are not logged (migration
-- 20261206100000). Outside a purge every delete is logged, whatever the
-- server's clock.
SELECT set_config('luciapg.purging_before', (@before_millis::bigint)::text, true);

-- name: ClearPurgingBefore :exec
-- Ends SetPurgingBefore before the transaction does: a purge run inside a
-- caller's transaction leaves every later delete of it logged.
SELECT set_config('luciapg.purging_before', '', true);

-- name: CountDeadSessions :one
-- How many sessions a purge at @now_millis would delete.
SELECT count(*)
FROM auth_session
WHERE idle_expires < @now_millis;

-- name: ExtendSession :one
-- Sets the two expiries of an existing session in place and returns the
-- row; no row when there is no such session. Only Lucia's expiry columns
-- change, so a Lucia v1 app sharing the table sees an ordinary session.
UPDATE auth_session
SET active_expires = @active_expires, idle_expires = @idle_expires
WHERE id = @id
RETURNING id, user_id, active_expires, idle_expires;
