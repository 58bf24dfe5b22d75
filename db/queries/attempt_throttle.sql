-- name: CountAttempt :one
-- Counts one attempt on throttle_key at now, in one statement, so that
-- concurrent attempts (from any number of processes) serialize on the row
-- and are all counted. now comes from the caller, never the server's
-- clock, so a fake clock drives it in tests.
--
-- When the key is blocked at now the attempt is refused: only
-- refused_attempts grows, and the caller waits blocked_until - now.
-- Otherwise the count starts from zero if the last counted attempt is older
-- than count_window, grows by one to n, and once n reaches free_attempts the key
-- is blocked for delays[n - free_attempts + 1], or the last delay (the
-- policy's MaxDelay) beyond the array: the caller computes the doubling
-- in Go, exactly and without overflow, so the SQL only indexes. Below
-- free_attempts blocked_until is now, so it is never before
-- last_attempt_at. The VALUES row is the count started from zero (n = 1),
-- which the update reuses as excluded when the window has passed.
-- (sqlc.arg rather than @name: sqlc misplaces its edits of a repeated
-- @name followed by a cast.)
INSERT INTO luciapg_attempt_throttle AS t
    (throttle_key, attempts, last_attempt_at, blocked_until, refused_attempts)
VALUES (
    sqlc.arg(throttle_key), 1, sqlc.arg(now)::timestamptz,
    sqlc.arg(now)::timestamptz + CASE
        WHEN 1 >= sqlc.arg(free_attempts)::bigint
            THEN (sqlc.arg(delays)::interval[])[LEAST(2 - sqlc.arg(free_attempts)::bigint, cardinality(sqlc.arg(delays)::interval[]))::integer]
        ELSE interval '0' END,
    0
)
ON CONFLICT (throttle_key) DO UPDATE SET
    attempts = CASE
        WHEN t.blocked_until > GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) THEN t.attempts
        WHEN t.last_attempt_at < GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) - sqlc.arg(count_window)::interval THEN excluded.attempts
        ELSE t.attempts + 1 END,
    last_attempt_at = CASE
        WHEN t.blocked_until > GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) THEN t.last_attempt_at
        ELSE GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) END,
    blocked_until = CASE
        WHEN t.blocked_until > GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) THEN t.blocked_until
        WHEN t.last_attempt_at < GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) - sqlc.arg(count_window)::interval THEN excluded.blocked_until
        WHEN t.attempts + 1 >= sqlc.arg(free_attempts)::bigint
            THEN GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) + (sqlc.arg(delays)::interval[])[LEAST(t.attempts + 2 - sqlc.arg(free_attempts)::bigint, cardinality(sqlc.arg(delays)::interval[]))::integer]
        ELSE GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) END,
    refused_attempts = CASE
        WHEN t.blocked_until > GREATEST(sqlc.arg(now)::timestamptz, t.last_attempt_at) THEN t.refused_attempts + 1
        ELSE 0 END
RETURNING refused_attempts > 0 AS refused, blocked_until;

-- name: ResetAttempts :exec
DELETE FROM luciapg_attempt_throttle
WHERE throttle_key = @throttle_key;

-- name: DeleteStaleAttemptsBatch :execrows
-- One batch of the purge: at most batch_size rows whose block and last
-- counted attempt both ended before cutoff, oldest first along the
-- blocked_until index, deleted by row address like the dead-session purge
-- (see DeleteDeadSessionsBatch). SKIP LOCKED never waits on a key an
-- attempt is counting right now; that row is not stale anyway.
DELETE FROM luciapg_attempt_throttle
WHERE ctid = ANY (ARRAY(
    SELECT stale.ctid
    FROM luciapg_attempt_throttle AS stale
    WHERE stale.blocked_until < @cutoff
      AND stale.last_attempt_at < @cutoff
    ORDER BY stale.blocked_until
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
));

-- name: CountStaleAttempts :one
-- How many rows a purge at cutoff would delete.
SELECT count(*)
FROM luciapg_attempt_throttle
WHERE blocked_until < @cutoff
  AND last_attempt_at < @cutoff;
