-- migrate:up

-- Where a user is signed in, the audit log, and pending email changes
-- (luciapg.DeviceAdapter, AuditAdapter and EmailChangeAdapter), in
-- luciapg's own tables. Lucia's three tables stay as Lucia v1 made them,
-- and no trigger is added to them: a Lucia v1 app sharing the database
-- keeps working, and its deletes take our rows along through the foreign
-- keys' ON DELETE CASCADE.

-- A session's metadata beside its factor record (migration
-- 20261207000000): when and from where it began, and when it was last
-- seen. A session made with an origin (luciapg.WithSessionOrigin) has
-- created_at; one a Lucia v1 app made has no row, and one whose factors
-- were recorded later has a row without it. So factors and
-- authenticated_at may now be NULL, together: a row with no factor record
-- reads as no record, as before. Every new column is nullable: adding
-- them rewrites no row.
ALTER TABLE luciapg_session
    ADD COLUMN created_at TIMESTAMPTZ NULL,
    ADD COLUMN client_address TEXT NULL,
    ADD COLUMN user_agent TEXT NULL,
    ADD COLUMN last_seen_at TIMESTAMPTZ NULL,
    ALTER COLUMN factors DROP NOT NULL,
    ALTER COLUMN authenticated_at DROP NOT NULL,
    ADD CONSTRAINT luciapg_session_factor_record_check
        CHECK ((factors IS NULL) = (authenticated_at IS NULL)),
    -- luciapg.MaxUserAgentBytes: the Store cuts a longer one.
    ADD CONSTRAINT luciapg_session_user_agent_check
        CHECK (octet_length(user_agent) <= 512);

-- The audit log: what happened to whom, when and from where, never a
-- secret. Append-only: the trigger below refuses every UPDATE, for every
-- role that cannot drop it. DELETE stays allowed, for the janitor's
-- retention. user_id is no foreign key: a user's events outlive the user
-- until retention takes them, and recording an event never waits on a
-- user's row lock. Empty text is stored as NULL.
CREATE TABLE IF NOT EXISTS luciapg_audit_event (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT NULL,
    session_label TEXT NULL,
    client_address TEXT NULL,
    user_agent TEXT NULL,
    detail TEXT NULL,
    CHECK (octet_length(kind) BETWEEN 1 AND 64),
    -- luciapg.MaxUserAgentBytes and luciapg.MaxAuditDetailBytes.
    CHECK (octet_length(user_agent) <= 512),
    CHECK (octet_length(detail) <= 256)
);
-- A user's events, newest first, a page at a time.
CREATE INDEX IF NOT EXISTS luciapg_audit_event_user_id_idx ON luciapg_audit_event (user_id, id DESC);
-- The janitor's retention, oldest first.
CREATE INDEX IF NOT EXISTS luciapg_audit_event_at_idx ON luciapg_audit_event (at);
-- HasSignedInFrom, asked at each sign-in: has the user signed in from this
-- client before? Only sign-ins are indexed, unknown (NULL) text as '' so
-- that the whole question is the index's condition.
CREATE INDEX IF NOT EXISTS luciapg_audit_event_sign_in_idx
    ON luciapg_audit_event (user_id, coalesce(client_address, ''), coalesce(user_agent, ''))
    WHERE kind IN ('signup', 'login');

CREATE OR REPLACE FUNCTION luciapg_audit_event_refuse_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'luciapg_audit_event is append-only: an event cannot be changed'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER luciapg_audit_event_append_only
    BEFORE UPDATE ON luciapg_audit_event
    FOR EACH ROW EXECUTE FUNCTION luciapg_audit_event_refuse_update();

-- A user's pending change of email address, at most one: the address is
-- changed only when the token sent to new_email (token_id names it; the
-- token itself is never stored) comes back before expires_at. Expired rows
-- stay until the janitor's purge.
CREATE TABLE IF NOT EXISTS luciapg_email_change (
    user_id TEXT PRIMARY KEY REFERENCES auth_user(id) ON DELETE CASCADE,
    new_email TEXT NOT NULL,
    token_id TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (octet_length(new_email) BETWEEN 1 AND 254)
);
CREATE INDEX IF NOT EXISTS luciapg_email_change_expires_at_idx ON luciapg_email_change (expires_at);

-- migrate:down

DROP TABLE luciapg_email_change;
DROP TABLE luciapg_audit_event;
DROP FUNCTION luciapg_audit_event_refuse_update();
-- Rows holding metadata only have no factor record to keep.
DELETE FROM luciapg_session WHERE factors IS NULL;
ALTER TABLE luciapg_session
    DROP CONSTRAINT luciapg_session_user_agent_check,
    DROP CONSTRAINT luciapg_session_factor_record_check,
    ALTER COLUMN factors SET NOT NULL,
    ALTER COLUMN authenticated_at SET NOT NULL,
    DROP COLUMN last_seen_at,
    DROP COLUMN user_agent,
    DROP COLUMN client_address,
    DROP COLUMN created_at;
