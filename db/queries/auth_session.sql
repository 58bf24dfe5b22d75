-- name: GetSession :one
SELECT id, user_id, active_expires, idle_expires
FROM auth_session
WHERE id = $1;

-- name: GetSessionsByUserID :many
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
