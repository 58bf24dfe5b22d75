-- migrate:up

-- The last server-clock dependency of the session cache's change log: the
-- auth_session trigger skipped the sessions dead by the server's clock, so
-- that purging dead sessions logged nothing. A server clock ahead of the
-- application's by more than a session's idle period hid the revocation
-- (a DELETE) of a session the application, and its caches, still thought
-- alive.
--
-- The trigger now skips only the rows a purge deletes: Store's purge runs
-- each batch in a transaction that first sets luciapg.purging_before, local
-- to that transaction, to the ms (by the purging application's clock) its
-- batch deletes the sessions dead before; the rows dead before it are not
-- logged. Outside a purge the setting is absent (or empty, once a
-- transaction of the connection has set it) and every UPDATE and DELETE of
-- a session is logged, whatever any clock says: a Lucia v1 app's own
-- cleanup of dead sessions now costs a log row each while a cache runs,
-- which at worst evicts nothing. A setting local to a transaction suits
-- PgBouncer's transaction mode.
--
-- The WHEN clause is still checked before the trigger is queued, so a
-- purge still calls nothing. The trigger keeps its name and, recreated,
-- is made ENABLE ALWAYS again (migration 20261206000000).

DROP TRIGGER luciapg_session_cache_session ON auth_session;
CREATE TRIGGER luciapg_session_cache_session
    AFTER UPDATE OR DELETE ON auth_session
    FOR EACH ROW
    WHEN (OLD.idle_expires >= coalesce(
        nullif(current_setting('luciapg.purging_before', true), '')::bigint,
        -9223372036854775808))
    EXECUTE FUNCTION luciapg_session_cache_log();
ALTER TABLE auth_session ENABLE ALWAYS TRIGGER luciapg_session_cache_session;

-- migrate:down

-- Back to migration 20261203000000's clause, ENABLE ALWAYS as
-- 20261206000000 left it.
DROP TRIGGER luciapg_session_cache_session ON auth_session;
CREATE TRIGGER luciapg_session_cache_session
    AFTER UPDATE OR DELETE ON auth_session
    FOR EACH ROW
    WHEN (OLD.idle_expires >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    EXECUTE FUNCTION luciapg_session_cache_log();
ALTER TABLE auth_session ENABLE ALWAYS TRIGGER luciapg_session_cache_session;
