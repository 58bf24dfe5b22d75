-- name: RegisterSessionCacheReader :exec
-- Tells the triggers that a cache reads the log for ttl_ms from now
-- (never moving the mark back: other caches may need it further ahead).
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
