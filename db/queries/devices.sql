-- Sessions' metadata (luciapg_session's origin and last-seen columns) of
-- luciapg.DeviceAdapter, and the session inserts that write it.

-- name: InsertSessionWithRecord :exec
-- A session and its luciapg_session row in one statement: what SetSession,
-- SetSessionForKey and CompletePendingLogin run when the context carries a
-- session origin. @factors and @authenticated_at are NULL but for
-- CompletePendingLogin. The foreign keys are checked at the statement's
-- end, when the session exists; auth_session's insert comes first, so an
-- unknown user is reported on it (ErrInvalidUserID) and a taken id too
-- (ErrDuplicateSessionID).
WITH session AS (
    INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
    VALUES (@id, @user_id, @active_expires, @idle_expires)
    RETURNING auth_session.id, auth_session.user_id
)
INSERT INTO luciapg_session (session_id, user_id, factors, authenticated_at, created_at, client_address, user_agent)
SELECT session.id, session.user_id, sqlc.narg(factors)::text[], sqlc.narg(authenticated_at)::timestamptz,
    @created_at::timestamptz, sqlc.narg(client_address)::text, sqlc.narg(user_agent)::text
FROM session;

-- name: GetUserSessionsMetadata :many
-- A user's sessions with their metadata, newest first, those without
-- metadata last (by id, for a stable order). The Store scans it itself
-- (see list_queries.go).
SELECT s.id, s.user_id, s.active_expires, s.idle_expires,
    m.created_at, m.client_address, m.user_agent, m.last_seen_at, m.factors
FROM auth_session AS s
LEFT JOIN luciapg_session AS m ON m.session_id = s.id
WHERE s.user_id = $1
ORDER BY m.created_at DESC NULLS LAST, s.id;

-- name: UserExists :one
-- Read only when a user's list is empty, to tell "none" from "no such
-- user".
SELECT EXISTS (SELECT 1 FROM auth_user WHERE id = $1);

-- name: DeleteUserSession :execrows
-- One statement: a session of another user is no row, and stays.
DELETE FROM auth_session
WHERE id = @session_id AND user_id = @user_id;

-- name: DeleteOtherUserSessions :execrows
DELETE FROM auth_session
WHERE user_id = @user_id AND id <> @keep_session_id;

-- name: DeleteAllUserSessions :execrows
-- DeleteOtherUserSessions when no session can have the id to keep.
DELETE FROM auth_session
WHERE user_id = @user_id;

-- name: RecordSessionsSeen :exec
-- Sets each session's last_seen_at to the latest of its uses in the
-- batch, unless it already holds a later time; sessions without metadata
-- (created_at NULL) or gone are skipped. The rows are locked in session id
-- order first, so that two batches over the same sessions (two instances
-- flushing at once) queue instead of deadlocking.
WITH seen AS (
    -- Two unnests in a select list walk their arrays side by side.
    SELECT t.session_id, max(t.seen_at) AS seen_at
    FROM (SELECT unnest(@session_ids::text[]) AS session_id, unnest(@seen_at::timestamptz[]) AS seen_at) AS t
    GROUP BY t.session_id
), locked AS (
    SELECT m.session_id, seen.seen_at
    FROM luciapg_session AS m
    JOIN seen ON seen.session_id = m.session_id
    WHERE m.created_at IS NOT NULL AND (m.last_seen_at IS NULL OR m.last_seen_at < seen.seen_at)
    ORDER BY m.session_id
    FOR NO KEY UPDATE OF m
)
UPDATE luciapg_session AS m
SET last_seen_at = locked.seen_at
FROM locked
WHERE m.session_id = locked.session_id
    AND (m.last_seen_at IS NULL OR m.last_seen_at < locked.seen_at);
