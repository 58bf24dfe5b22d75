-- name: GetKey :one
SELECT id, user_id, primary_key, hashed_password, expires
FROM auth_key
WHERE id = $1;

-- name: GetKeysByUserID :many
-- The Store runs this text (exported as dbgen.GetKeysByUserID) with its own
-- scanning, straight into luciapg.Key; see list_queries.go.
SELECT id, user_id, primary_key, hashed_password, expires
FROM auth_key
WHERE user_id = $1
ORDER BY id;

-- name: InsertKey :exec
INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires)
VALUES ($1, $2, $3, $4, $5);

-- name: UpdateKeyPassword :one
UPDATE auth_key
SET hashed_password = $2
WHERE id = $1
RETURNING id, user_id, primary_key, hashed_password, expires;

-- name: DeleteNonPrimaryKey :exec
DELETE FROM auth_key
WHERE id = $1 AND primary_key = false;

-- name: DeleteKeysByUserID :exec
DELETE FROM auth_key
WHERE user_id = $1;

-- name: ConsumeKey :one
DELETE FROM auth_key
WHERE id = $1 AND primary_key = false
RETURNING id, user_id, primary_key, hashed_password, expires;
