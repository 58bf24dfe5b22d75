-- The audit log (luciapg_audit_event) of luciapg.AuditAdapter:
-- append-only (the table refuses updates), read newest first.

-- name: InsertAuditEvent :exec
-- The one insert of an event: RecordAuditEvent's, and every write's made
-- with luciapg.WithAuditEvent, in that write's transaction.
INSERT INTO luciapg_audit_event (at, kind, user_id, session_label, client_address, user_agent, detail)
VALUES (@at, @kind, @user_id, @session_label, @client_address, @user_agent, @detail);

-- name: ListAuditEvents :many
-- Everyone's events, newest first, from below @before_id on (keyset
-- paging on the primary key). The Store scans it itself (see
-- list_queries.go).
SELECT id, at, kind, user_id, session_label, client_address, user_agent, detail
FROM luciapg_audit_event
WHERE id < @before_id AND at >= @since
ORDER BY id DESC
LIMIT @page_size;

-- name: ListUserAuditEvents :many
-- One user's events, as ListAuditEvents, on the (user_id, id) index.
SELECT id, at, kind, user_id, session_label, client_address, user_agent, detail
FROM luciapg_audit_event
WHERE user_id = @user_id AND id < @before_id AND at >= @since
ORDER BY id DESC
LIMIT @page_size;

-- name: HasSignedInFrom :one
-- Whether the user signed up or logged in from this client before, on the
-- partial index of sign-ins, whose predicate and expressions are spelled
-- out the same way: '' matches an unknown (NULL) address or user agent.
SELECT EXISTS (
    SELECT 1 FROM luciapg_audit_event
    WHERE user_id = @user_id::text
        AND kind IN ('signup', 'login')
        AND coalesce(client_address, '') = @client_address::text
        AND coalesce(user_agent, '') = @user_agent::text
);

-- name: PurgeAuditEvents :execrows
-- One batch of the retention: at most @batch_size events older than
-- @before, oldest first, on the at index. SKIP LOCKED lets janitors run
-- side by side, each taking rows the others are not deleting.
DELETE FROM luciapg_audit_event
WHERE id = ANY (ARRAY(
    SELECT old.id
    FROM luciapg_audit_event AS old
    WHERE old.at < @before
    ORDER BY old.at
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
));
