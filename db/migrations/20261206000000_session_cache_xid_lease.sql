-- migrate:up

-- Two holes in the session cache's change log (issue 21, finding 5):
--
-- 1. The triggers logged only while a cache's mark, in ms by the
--    server's wall clock, was ahead of that clock. A step of the server's
--    clock by more than a lease (an NTP step, a resumed VM) stopped the
--    logging while the caches went on serving. A cache now marks how far
--    the triggers must log in transaction ids, which never step: they log
--    while the writing transaction's id is below the mark, and a cache that
--    sees ids pass its mark between two reads starts over. The ms mark is
--    still honoured, for caches of earlier releases during an upgrade;
--    this release's caches never set it.
--
-- 2. The logical replication apply worker runs with
--    session_replication_role = replica, where ordinary triggers do not
--    fire: a cache on a subscriber never heard of the deletes it applied.
--    ENABLE ALWAYS makes the triggers fire there too. They then also fire
--    under session_replication_role = replica set by other tools (pglogical,
--    some bulk loaders): at worst a logged change that evicts an entry.
--    pg_dump keeps the setting; a data-only restore with --disable-triggers
--    still disables them. The log itself is unlogged, which a publication
--    cannot carry, and each database's caches read their own.

-- Up to which transaction id (exclusive, as xid8's 64 bits; never wraps)
-- the triggers log: each running cache pushes it forward. A sequence, as
-- the ms mark is: its value is not versioned, so a trigger sees a cache
-- that has just started whatever its transaction's snapshot.
CREATE SEQUENCE luciapg_session_cache_readers_xid AS bigint MINVALUE 0 START 0;

CREATE OR REPLACE FUNCTION luciapg_session_cache_log() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF coalesce(pg_sequence_last_value('luciapg_session_cache_readers_xid'), 0)
            <= pg_current_xact_id()::text::bigint
        AND coalesce(pg_sequence_last_value('luciapg_session_cache_readers_until'), 0)
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
-- CREATE OR REPLACE dropped the function's settings: the fixed
-- search_path again.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION luciapg_session_cache_log() SET search_path = pg_catalog, %I, pg_temp', current_schema());
END
$$;

ALTER TABLE auth_session ENABLE ALWAYS TRIGGER luciapg_session_cache_session;
ALTER TABLE auth_session ENABLE ALWAYS TRIGGER luciapg_session_cache_session_truncate;
ALTER TABLE auth_user ENABLE ALWAYS TRIGGER luciapg_session_cache_user;
ALTER TABLE auth_user ENABLE ALWAYS TRIGGER luciapg_session_cache_user_truncate;

-- migrate:down

ALTER TABLE auth_user ENABLE TRIGGER luciapg_session_cache_user_truncate;
ALTER TABLE auth_user ENABLE TRIGGER luciapg_session_cache_user;
ALTER TABLE auth_session ENABLE TRIGGER luciapg_session_cache_session_truncate;
ALTER TABLE auth_session ENABLE TRIGGER luciapg_session_cache_session;

-- Back to migration 20261203000000's function.
CREATE OR REPLACE FUNCTION luciapg_session_cache_log() RETURNS trigger
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

DROP SEQUENCE luciapg_session_cache_readers_xid;
