-- migrate:up
-- The example's user attribute: the name shown on the account page. A user
-- logs in with the key "username:<name>", whose primary key already makes
-- names unique; a UNIQUE constraint here would make the same mistake fail
-- with two different errors. Nullable, so users created without it (by
-- the admin CLI, or a Lucia v1 app sharing the tables) stay valid.
ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS username TEXT;

-- migrate:down
ALTER TABLE auth_user DROP COLUMN IF EXISTS username;
