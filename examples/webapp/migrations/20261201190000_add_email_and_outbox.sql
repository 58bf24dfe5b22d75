-- migrate:up
-- The example's email address of a user, for verification and password
-- reset links. Both columns can be left out of an INSERT (nullable, or
-- with a default), so users created without them — by the admin CLI, by
-- "Sign in with ...", or by a Lucia v1 app sharing the tables — stay valid.
ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS email TEXT;
ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS email_verified BOOLEAN NOT NULL DEFAULT false;
-- One account per address, whatever its case: a reset link for
-- "Ada@Example.com" must go to one user only.
CREATE UNIQUE INDEX IF NOT EXISTS auth_user_email_lower_key ON auth_user (lower(email));

-- Mail the example "sends": the default Mailer writes each message here,
-- where a developer (or the browser test) reads it. A real deployment
-- plugs in an SMTP Mailer instead (README: Plugging a real mailer).
CREATE TABLE IF NOT EXISTS webapp_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE IF EXISTS webapp_outbox;
DROP INDEX IF EXISTS auth_user_email_lower_key;
ALTER TABLE auth_user DROP COLUMN IF EXISTS email_verified;
ALTER TABLE auth_user DROP COLUMN IF EXISTS email;
