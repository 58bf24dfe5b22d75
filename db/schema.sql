\restrict dbmate


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: luciapg_session_cache_log(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.luciapg_session_cache_log() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: auth_key; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_key (
    id text NOT NULL,
    user_id text NOT NULL,
    primary_key boolean NOT NULL,
    hashed_password text,
    expires bigint
);


--
-- Name: auth_session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_session (
    id text NOT NULL,
    user_id text NOT NULL,
    active_expires bigint NOT NULL,
    idle_expires bigint NOT NULL
);


--
-- Name: auth_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_user (
    id text NOT NULL
);


--
-- Name: luciapg_attempt_throttle; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_attempt_throttle (
    throttle_key text NOT NULL,
    attempts bigint NOT NULL,
    last_attempt_at timestamp with time zone NOT NULL,
    blocked_until timestamp with time zone NOT NULL,
    refused_attempts bigint DEFAULT 0 NOT NULL,
    CONSTRAINT luciapg_attempt_throttle_attempts_check CHECK ((attempts >= 1)),
    CONSTRAINT luciapg_attempt_throttle_check CHECK ((blocked_until >= last_attempt_at)),
    CONSTRAINT luciapg_attempt_throttle_refused_attempts_check CHECK ((refused_attempts >= 0))
);


--
-- Name: luciapg_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_schema_migrations (
    version character varying NOT NULL
);


--
-- Name: luciapg_session_cache_change; Type: TABLE; Schema: public; Owner: -
--

CREATE UNLOGGED TABLE public.luciapg_session_cache_change (
    xid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    payload text NOT NULL
);


--
-- Name: luciapg_session_cache_readers_until; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.luciapg_session_cache_readers_until
    START WITH 0
    INCREMENT BY 1
    MINVALUE 0
    NO MAXVALUE
    CACHE 1;


--
-- Name: luciapg_session_cache_readers_xid; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.luciapg_session_cache_readers_xid
    START WITH 0
    INCREMENT BY 1
    MINVALUE 0
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_key auth_key_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_key
    ADD CONSTRAINT auth_key_pkey PRIMARY KEY (id);


--
-- Name: auth_session auth_session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_session
    ADD CONSTRAINT auth_session_pkey PRIMARY KEY (id);


--
-- Name: auth_user auth_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user
    ADD CONSTRAINT auth_user_pkey PRIMARY KEY (id);


--
-- Name: luciapg_attempt_throttle luciapg_attempt_throttle_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_attempt_throttle
    ADD CONSTRAINT luciapg_attempt_throttle_pkey PRIMARY KEY (throttle_key);


--
-- Name: luciapg_schema_migrations luciapg_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_schema_migrations
    ADD CONSTRAINT luciapg_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: auth_key_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_key_user_id_idx ON public.auth_key USING btree (user_id, id);


--
-- Name: auth_session_idle_expires_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_session_idle_expires_idx ON public.auth_session USING btree (idle_expires);


--
-- Name: auth_session_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_session_user_id_idx ON public.auth_session USING btree (user_id, id);


--
-- Name: luciapg_attempt_throttle_blocked_until_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_attempt_throttle_blocked_until_idx ON public.luciapg_attempt_throttle USING btree (blocked_until);


--
-- Name: luciapg_session_cache_change_xid_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_session_cache_change_xid_idx ON public.luciapg_session_cache_change USING btree (xid);


--
-- Name: auth_session luciapg_session_cache_session; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER luciapg_session_cache_session AFTER DELETE OR UPDATE ON public.auth_session FOR EACH ROW WHEN ((old.idle_expires >= COALESCE((NULLIF(current_setting('luciapg.purging_before'::text, true), ''::text))::bigint, '-9223372036854775808'::bigint))) EXECUTE FUNCTION public.luciapg_session_cache_log();

ALTER TABLE public.auth_session ENABLE ALWAYS TRIGGER luciapg_session_cache_session;


--
-- Name: auth_session luciapg_session_cache_session_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER luciapg_session_cache_session_truncate AFTER TRUNCATE ON public.auth_session FOR EACH STATEMENT EXECUTE FUNCTION public.luciapg_session_cache_log();

ALTER TABLE public.auth_session ENABLE ALWAYS TRIGGER luciapg_session_cache_session_truncate;


--
-- Name: auth_user luciapg_session_cache_user; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER luciapg_session_cache_user AFTER DELETE OR UPDATE ON public.auth_user FOR EACH ROW EXECUTE FUNCTION public.luciapg_session_cache_log();

ALTER TABLE public.auth_user ENABLE ALWAYS TRIGGER luciapg_session_cache_user;


--
-- Name: auth_user luciapg_session_cache_user_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER luciapg_session_cache_user_truncate AFTER TRUNCATE ON public.auth_user FOR EACH STATEMENT EXECUTE FUNCTION public.luciapg_session_cache_log();

ALTER TABLE public.auth_user ENABLE ALWAYS TRIGGER luciapg_session_cache_user_truncate;


--
-- Name: auth_key auth_key_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_key
    ADD CONSTRAINT auth_key_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id);


--
-- Name: auth_session auth_session_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_session
    ADD CONSTRAINT auth_session_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id);


--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.luciapg_schema_migrations (version) VALUES
    ('20261126000000'),
    ('20261201000000'),
    ('20261202000000'),
    ('20261203000000'),
    ('20261206000000'),
    ('20261206100000');
