-- name: LockUser :exec
-- Taken before deleting a user: inserts of sessions and keys for this user
-- wait on the lock, so none can slip in between the deletes below.
SELECT id
FROM auth_user
WHERE id = $1
FOR UPDATE;

-- name: DeleteUserWithSessionsAndKeys :exec
-- The referencing rows and the user go in one statement; the foreign keys
-- are checked at its end, when all three deletes have happened.
WITH deleted_sessions AS (
    DELETE FROM auth_session WHERE auth_session.user_id = $1
), deleted_keys AS (
    DELETE FROM auth_key WHERE auth_key.user_id = $1
)
DELETE FROM auth_user
WHERE auth_user.id = $1;
