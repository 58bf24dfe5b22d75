-- migrate:up

-- Invalidation for luciapg.SessionCache: every change to a live session or
-- to a user, whoever makes it (luciapg, a Lucia v1 app, psql), sends a
-- notification on the channel luciapg_session_cache, and every process
-- caching sessions drops what the change made stale. Lucia's columns are
-- untouched; these are triggers and indexes only.
--
-- Payloads, at most 66 bytes whatever the id:
--   s:<sha256 of the session id, hex>  a session was updated or deleted
--   u:<sha256 of the user id, hex>     a user was updated or deleted: drop
--                                      all of that user's sessions
--   *                                  a table was truncated: drop all
-- Ids are hashed because anyone who may connect to the database may LISTEN
-- and read every payload, and a session id is a bearer secret; the hash
-- names the entry to drop without revealing the id. sha256() is built into
-- PostgreSQL 11 and later, so no extension is needed. convert_to gives the
-- UTF-8 bytes Go hashes.
CREATE OR REPLACE FUNCTION luciapg_session_cache_notify() RETURNS trigger
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

-- A session whose idle period had ended is never in a cache (an entry ends
-- with the active period), so its change notifies nobody: the WHEN clause
-- is checked before the after-trigger event is queued, so purging a
-- million dead sessions queues nothing and calls nothing.
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

-- GetSessionsByUserID and GetKeysByUserID order by id: with id in the
-- index, the index scan returns the user's rows in order and the plan has
-- no sort node. The (user_id, id) index serves every lookup the
-- (user_id) one did. The names stay, so tools and tests that look for
-- them still find them; inside the migration's transaction no query sees
-- the table without its index.
DROP INDEX IF EXISTS auth_session_user_id_idx;
CREATE INDEX auth_session_user_id_idx ON auth_session (user_id, id);
DROP INDEX IF EXISTS auth_key_user_id_idx;
CREATE INDEX auth_key_user_id_idx ON auth_key (user_id, id);

-- migrate:down

DROP INDEX auth_key_user_id_idx;
CREATE INDEX auth_key_user_id_idx ON auth_key (user_id);
DROP INDEX auth_session_user_id_idx;
CREATE INDEX auth_session_user_id_idx ON auth_session (user_id);

DROP TRIGGER luciapg_session_cache_user_truncate ON auth_user;
DROP TRIGGER luciapg_session_cache_session_truncate ON auth_session;
DROP TRIGGER luciapg_session_cache_user ON auth_user;
DROP TRIGGER luciapg_session_cache_session ON auth_session;
DROP FUNCTION luciapg_session_cache_notify();
