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

-- name: LockKeyPassword :one
-- The key's password hash, locked against a change (FOR SHARE) until the
-- transaction ends; waits for a change in progress and reads its result.
SELECT user_id, hashed_password
FROM auth_key
WHERE id = $1
FOR SHARE;

-- name: LockKeyPasswordForRehash :one
-- LockKeyPassword for a transaction that will update the hash: two logins
-- sharing a lock and both upgrading it would deadlock.
SELECT user_id, hashed_password
FROM auth_key
WHERE id = $1
FOR NO KEY UPDATE;

-- name: LockUserForSession :one
-- Locks the user as the session insert's foreign key check would, but
-- before the key: a change that locks the user first (FOR UPDATE) and then
-- the key then waits for the login, or the login for it, never both.
SELECT id
FROM auth_user
WHERE id = $1
FOR KEY SHARE;
