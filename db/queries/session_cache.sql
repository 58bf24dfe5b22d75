-- name: RegisterSessionCacheReader :exec
-- Tells the triggers that a cache reads the log for ttl_ms from now, by
-- the server's wall clock (never moving the mark back: other caches may
-- need it further ahead). Caches of earlier releases set this mark, and
-- the triggers still honour it; this release's caches set the
-- transaction-id mark (RenewSessionCacheLease), which no clock step can
-- move past.
SELECT setval('luciapg_session_cache_readers_until',
    greatest(coalesce(pg_sequence_last_value('luciapg_session_cache_readers_until'), 0),
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint + sqlc.arg(ttl_ms)::bigint));

-- name: SessionCacheSnapshot :one
-- The snapshot from which a cache that has just registered reads the log.
SELECT pg_current_snapshot()::text AS snapshot;

-- name: PollSessionCacheChanges :one
-- The payloads of the transactions that committed after since was taken
-- and before this statement's snapshot (returned, for the next poll): the
-- rows whose xid is not below since's xmax or was running at since. At
-- most max_rows payloads. waiting is true while a transaction that was
-- running at registered is still running: it may have changed a session
-- without seeing that a cache reads the log. Snapshots travel as text:
-- pgx has no pg_snapshot type, and the cache only hands them back.
SELECT
    pg_current_snapshot()::text AS snapshot,
    ARRAY(
        -- Two index scans: PostgreSQL 15 reads the whole log for the OR of
        -- the two conditions. No row matches both (an xid running at
        -- since is below since's xmax).
        (SELECT c.payload FROM luciapg_session_cache_change AS c
        WHERE c.xid >= pg_snapshot_xmax(sqlc.arg(since)::text::pg_snapshot)
        UNION ALL
        SELECT c.payload FROM luciapg_session_cache_change AS c
        WHERE c.xid = ANY (ARRAY(SELECT pg_snapshot_xip(sqlc.arg(since)::text::pg_snapshot))))
        LIMIT sqlc.arg(max_rows)::int
    )::text[] AS payloads,
    EXISTS (
        SELECT 1 FROM pg_snapshot_xip(sqlc.arg(registered)::text::pg_snapshot) AS r(xid)
        WHERE r.xid IN (SELECT pg_snapshot_xip(pg_current_snapshot()))
    ) AS waiting;

-- name: DeleteSessionCacheChanges :execrows
-- Deletes the rows of the transactions that had ended when snapshot was
-- taken.
DELETE FROM luciapg_session_cache_change
WHERE xid < pg_snapshot_xmin(sqlc.arg(snapshot)::text::pg_snapshot);

-- name: RenewSessionCacheLease :one
-- Tells the triggers to log every transaction whose id is below this
-- statement's snapshot's xmax plus lease_xids (never moving the mark back:
-- other caches may need it further ahead), and returns the mark. Ids never
-- step as a clock may. The transaction-scoped advisory lock makes
-- renewals take turns: two that read the mark and then set it, interleaved,
-- could move it back below what one of them returned. Its key is
-- luciapg's own (0x6c7053436c656173, "lpSCleas" in ASCII).
WITH turn AS MATERIALIZED (SELECT pg_advisory_xact_lock(7813836902534308211))
SELECT setval('luciapg_session_cache_readers_xid',
    greatest(coalesce(pg_sequence_last_value('luciapg_session_cache_readers_xid'), 0),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint + sqlc.arg(lease_xids)::bigint))::bigint AS until_xid
FROM turn;

-- name: SessionCacheBackendPID :one
-- The server process this statement runs in: through a pooler it differs
-- from the one the connection announced at startup, and a LISTEN would
-- stay on a server connection the pooler hands to others.
SELECT pg_backend_pid()::bigint AS pid;

-- name: ListenSessionCacheWakeups :exec
-- Asks for the wake-ups other caches send after their revocations, so that
-- this cache reads the log at once instead of at its next poll.
LISTEN luciapg_session_cache_wakeup;

-- name: WakeSessionCaches :exec
-- Wakes every listening cache to read the log now: sent after a
-- revocation through a cache has returned, in a transaction of its own
-- (a NOTIFY inside the writing transaction would make concurrent commits
-- queue for the notification lock).
SELECT pg_notify('luciapg_session_cache_wakeup', '');
