-- name: CountAttempt :one
-- Counts one attempt on throttle_key at now, in one statement, so that
-- concurrent attempts (from any number of processes) serialize on the row
-- and are all counted. now comes from the caller, never the server's
-- clock, so a fake clock drives it in tests. Durations are microseconds.
--
-- When the key is blocked at now the attempt is refused: only
-- refused_attempts grows, and the caller waits blocked_until - now.
-- Otherwise the count starts from zero if the last counted attempt is older
-- than window_us, grows by one to n, and once n reaches free_attempts the
-- key is blocked for base_delay_us * 2^(n - free_attempts), at most
-- max_delay_us; below free_attempts blocked_until is now, so it is never
-- before last_attempt_at. The exponent is capped at 62: base_delay_us is at
-- least 1 and 2^62 microseconds is far beyond any time.Duration, so the cap
-- changes no result and keeps the numeric arithmetic small.
-- (sqlc.arg rather than @name: sqlc misplaces its edits of a repeated
-- @name followed by a cast.)
INSERT INTO luciapg_attempt_throttle AS t
    (throttle_key, attempts, last_attempt_at, blocked_until, refused_attempts)
VALUES (
    sqlc.arg(throttle_key), 1, sqlc.arg(now),
    sqlc.arg(now) + interval '1 microsecond' * (CASE
        WHEN 1 >= sqlc.arg(free_attempts)::bigint THEN LEAST(
            sqlc.arg(max_delay_us)::bigint::numeric,
            sqlc.arg(base_delay_us)::bigint * power(2::numeric, LEAST(1 - sqlc.arg(free_attempts)::bigint, 62)))
        ELSE 0 END)::double precision,
    0
)
ON CONFLICT (throttle_key) DO UPDATE SET
    attempts = CASE
        WHEN t.blocked_until > sqlc.arg(now) THEN t.attempts
        WHEN t.last_attempt_at < sqlc.arg(now) - interval '1 microsecond' * sqlc.arg(window_us)::bigint THEN 1
        ELSE t.attempts + 1 END,
    last_attempt_at = CASE
        WHEN t.blocked_until > sqlc.arg(now) THEN t.last_attempt_at
        ELSE sqlc.arg(now) END,
    blocked_until = CASE
        WHEN t.blocked_until > sqlc.arg(now) THEN t.blocked_until
        ELSE sqlc.arg(now) + interval '1 microsecond' * (CASE
            -- n is 1: the window passed, the count starts again.
            WHEN t.last_attempt_at < sqlc.arg(now) - interval '1 microsecond' * sqlc.arg(window_us)::bigint THEN
                CASE WHEN 1 >= sqlc.arg(free_attempts)::bigint THEN LEAST(
                    sqlc.arg(max_delay_us)::bigint::numeric,
                    sqlc.arg(base_delay_us)::bigint * power(2::numeric, LEAST(1 - sqlc.arg(free_attempts)::bigint, 62)))
                ELSE 0 END
            -- n is t.attempts + 1.
            WHEN t.attempts + 1 >= sqlc.arg(free_attempts)::bigint THEN LEAST(
                sqlc.arg(max_delay_us)::bigint::numeric,
                sqlc.arg(base_delay_us)::bigint * power(2::numeric, LEAST(t.attempts + 1 - sqlc.arg(free_attempts)::bigint, 62)))
            ELSE 0 END)::double precision
        END,
    refused_attempts = CASE
        WHEN t.blocked_until > sqlc.arg(now) THEN t.refused_attempts + 1
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
