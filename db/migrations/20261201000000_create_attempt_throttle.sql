-- migrate:up

-- luciapg's own table, beside Lucia's three and never touching them: failed
-- guesses of a secret (a password, a one-time code) counted per throttle
-- key, so that every application instance sharing the database sees the
-- same count. See luciapg.AttemptThrottle.
--
-- attempts counts the attempts since the count last started from zero;
-- last_attempt_at is when the latest of them was counted. blocked_until is
-- the earliest time the next attempt is counted; it is never before
-- last_attempt_at, so one index on it serves the purge of stale rows.
-- refused_attempts counts the attempts refused since the last counted one:
-- it tells CountAttempt, in the row its one statement returns, whether this
-- attempt was counted or refused, and tells an operator that a key is being
-- hammered.
CREATE TABLE IF NOT EXISTS luciapg_attempt_throttle (
    throttle_key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    last_attempt_at TIMESTAMPTZ NOT NULL,
    blocked_until TIMESTAMPTZ NOT NULL,
    refused_attempts BIGINT NOT NULL DEFAULT 0,
    CHECK (attempts >= 1),
    CHECK (refused_attempts >= 0),
    CHECK (blocked_until >= last_attempt_at)
);

-- The purge of stale rows (DeleteStaleAttempts) walks this index from the
-- oldest row instead of scanning the table.
CREATE INDEX IF NOT EXISTS luciapg_attempt_throttle_blocked_until_idx
    ON luciapg_attempt_throttle (blocked_until);

-- migrate:down

DROP TABLE luciapg_attempt_throttle;
