-- migrate:up

-- luciapg.SessionCache learns of changes from a change log it polls, in
-- place of NOTIFY. PostgreSQL serializes the commits of all transactions
-- that notify (a database-wide lock from pre-commit until the commit
-- record is flushed), so with the NOTIFY triggers concurrent session
-- deletes and user updates ran at 0.26-0.32x their speed without them
-- (bench/results/session-cache.md, 2026-12-01). An insert into an unlogged
-- table joins group commit like any other write.
--
-- Lucia's columns are untouched: a trigger function, a sequence and an
-- unlogged table. With no SessionCache running the triggers write nothing.

DROP TRIGGER luciapg_session_cache_user_truncate ON auth_user;
DROP TRIGGER luciapg_session_cache_session_truncate ON auth_session;
DROP TRIGGER luciapg_session_cache_user ON auth_user;
DROP TRIGGER luciapg_session_cache_session ON auth_session;
DROP FUNCTION luciapg_session_cache_notify();

-- Until when (ms since the Unix epoch, by the server's clock) some
-- SessionCache reads the log; each running cache pushes it forward. A
-- sequence because its value is not versioned: a trigger sees a cache
-- that has just started whatever its transaction's snapshot, and a cache
-- waits for the transactions that were running when it started, which
-- may not have seen it.
CREATE SEQUENCE luciapg_session_cache_readers_until AS bigint MINVALUE 0 START 0;

-- The log. xid is the writing transaction's id: a cache reads the rows
-- whose transactions committed between two of its snapshots, whatever the
-- order of commits. Payloads, at most 66 bytes whatever the id:
--   s:<sha256 of the session id, hex>  a session was updated or deleted
--   u:<sha256 of the user id, hex>     a user was updated or deleted: drop
--                                      all of that user's sessions
--   *                                  a table was truncated: drop all
-- Ids are hashed so the log holds no bearer secret. Unlogged: a crash
-- empties it, and every cache drops all its entries when it reconnects.
-- Caches delete rows every running cache has read.
CREATE UNLOGGED TABLE luciapg_session_cache_change (
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payload text NOT NULL
);
CREATE INDEX luciapg_session_cache_change_xid_idx ON luciapg_session_cache_change (xid);

-- SECURITY DEFINER: a Lucia v1 app's role, allowed only its three tables,
-- must still log its changes. Hence also the fixed search_path (set below
-- to this schema): a caller's search_path cannot redirect what it runs.
CREATE FUNCTION luciapg_session_cache_log() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF coalesce(pg_sequence_last_value('luciapg_session_cache_readers_until'), 0)
        < (extract(epoch FROM clock_timestamp()) * 1000)::bigint THEN
        RETURN NULL;
    END IF;
    IF TG_LEVEL = 'STATEMENT' THEN
        INSERT INTO luciapg_session_cache_change (payload) VALUES ('*');
    ELSIF TG_TABLE_NAME = 'auth_session' THEN
        INSERT INTO luciapg_session_cache_change (payload)
        VALUES ('s:' || encode(sha256(convert_to(OLD.id, 'UTF8')), 'hex'));
    ELSE
        INSERT INTO luciapg_session_cache_change (payload)
        VALUES ('u:' || encode(sha256(convert_to(OLD.id, 'UTF8')), 'hex'));
    END IF;
    RETURN NULL;
END
$$;
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION luciapg_session_cache_log() SET search_path = pg_catalog, %I, pg_temp', current_schema());
END
$$;

-- A session whose idle period had ended is never in a cache (an entry ends
-- with the active period), so its change is not logged: the WHEN clause is
-- checked before the trigger is queued, so a purge of a million dead
-- sessions calls nothing.
CREATE TRIGGER luciapg_session_cache_session
    AFTER UPDATE OR DELETE ON auth_session
    FOR EACH ROW
    WHEN (OLD.idle_expires >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    EXECUTE FUNCTION luciapg_session_cache_log();

CREATE TRIGGER luciapg_session_cache_user
    AFTER UPDATE OR DELETE ON auth_user
    FOR EACH ROW
    EXECUTE FUNCTION luciapg_session_cache_log();

CREATE TRIGGER luciapg_session_cache_session_truncate
    AFTER TRUNCATE ON auth_session
    FOR EACH STATEMENT
    EXECUTE FUNCTION luciapg_session_cache_log();

CREATE TRIGGER luciapg_session_cache_user_truncate
    AFTER TRUNCATE ON auth_user
    FOR EACH STATEMENT
    EXECUTE FUNCTION luciapg_session_cache_log();

-- migrate:down

DROP TRIGGER luciapg_session_cache_user_truncate ON auth_user;
DROP TRIGGER luciapg_session_cache_session_truncate ON auth_session;
DROP TRIGGER luciapg_session_cache_user ON auth_user;
DROP TRIGGER luciapg_session_cache_session ON auth_session;
DROP FUNCTION luciapg_session_cache_log();
DROP TABLE luciapg_session_cache_change;
DROP SEQUENCE luciapg_session_cache_readers_until;

-- Back to migration 20261202000000's notifying triggers.
CREATE FUNCTION luciapg_session_cache_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('luciapg_session_cache', '*');
    ELSIF TG_TABLE_NAME = 'auth_session' THEN
        PERFORM pg_notify('luciapg_session_cache',
            's:' || encode(sha256(convert_to(OLD.id, 'UTF8')), 'hex'));
    ELSE
        PERFORM pg_notify('luciapg_session_cache',
            'u:' || encode(sha256(convert_to(OLD.id, 'UTF8')), 'hex'));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER luciapg_session_cache_session
    AFTER UPDATE OR DELETE ON auth_session
    FOR EACH ROW
    WHEN (OLD.idle_expires >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    EXECUTE FUNCTION luciapg_session_cache_notify();
CREATE TRIGGER luciapg_session_cache_user
    AFTER UPDATE OR DELETE ON auth_user
    FOR EACH ROW
    EXECUTE FUNCTION luciapg_session_cache_notify();
CREATE TRIGGER luciapg_session_cache_session_truncate
    AFTER TRUNCATE ON auth_session
    FOR EACH STATEMENT
    EXECUTE FUNCTION luciapg_session_cache_notify();
CREATE TRIGGER luciapg_session_cache_user_truncate
    AFTER TRUNCATE ON auth_user
    FOR EACH STATEMENT
    EXECUTE FUNCTION luciapg_session_cache_notify();
