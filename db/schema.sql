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
-- Name: luciapg_audit_event_refuse_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.luciapg_audit_event_refuse_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'luciapg_audit_event is append-only: an event cannot be changed'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;


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
-- Name: luciapg_audit_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_audit_event (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    user_id text,
    session_label text,
    client_address text,
    user_agent text,
    detail text,
    CONSTRAINT luciapg_audit_event_detail_check CHECK ((octet_length(detail) <= 256)),
    CONSTRAINT luciapg_audit_event_kind_check CHECK (((octet_length(kind) >= 1) AND (octet_length(kind) <= 64))),
    CONSTRAINT luciapg_audit_event_user_agent_check CHECK ((octet_length(user_agent) <= 512))
);


--
-- Name: luciapg_audit_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.luciapg_audit_event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.luciapg_audit_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: luciapg_email_change; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_email_change (
    user_id text NOT NULL,
    new_email text NOT NULL,
    token_id text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT luciapg_email_change_new_email_check CHECK (((octet_length(new_email) >= 1) AND (octet_length(new_email) <= 254)))
);


--
-- Name: luciapg_passkey; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_passkey (
    credential_id bytea NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    public_key bytea NOT NULL,
    attestation_type text NOT NULL,
    transports text[] NOT NULL,
    aaguid bytea,
    sign_count bigint NOT NULL,
    backup_eligible boolean NOT NULL,
    backup_state boolean NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    CONSTRAINT luciapg_passkey_aaguid_check CHECK (((aaguid IS NULL) OR (octet_length(aaguid) = 16))),
    CONSTRAINT luciapg_passkey_credential_id_check CHECK (((octet_length(credential_id) >= 1) AND (octet_length(credential_id) <= 1023))),
    CONSTRAINT luciapg_passkey_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT luciapg_passkey_sign_count_check CHECK (((sign_count >= 0) AND (sign_count <= '4294967295'::bigint)))
);


--
-- Name: luciapg_passkey_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_passkey_user (
    user_id text NOT NULL,
    handle bytea NOT NULL,
    CONSTRAINT luciapg_passkey_user_handle_check CHECK (((octet_length(handle) >= 1) AND (octet_length(handle) <= 64)))
);


--
-- Name: luciapg_pending_login; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_pending_login (
    id text NOT NULL,
    user_id text NOT NULL,
    client_binding text NOT NULL,
    factors text[] NOT NULL,
    key_id text,
    key_hash_digest text,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT luciapg_pending_login_check CHECK (((key_id IS NULL) = (key_hash_digest IS NULL)))
);


--
-- Name: luciapg_recovery_code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_recovery_code (
    user_id text NOT NULL,
    code_hash text NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: luciapg_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_schema_migrations (
    version character varying NOT NULL
);


--
-- Name: luciapg_session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_session (
    session_id text NOT NULL,
    user_id text NOT NULL,
    factors text[],
    authenticated_at timestamp with time zone,
    created_at timestamp with time zone,
    client_address text,
    user_agent text,
    last_seen_at timestamp with time zone,
    CONSTRAINT luciapg_session_factor_record_check CHECK (((factors IS NULL) = (authenticated_at IS NULL))),
    CONSTRAINT luciapg_session_user_agent_check CHECK ((octet_length(user_agent) <= 512))
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
-- Name: luciapg_totp; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_totp (
    user_id text NOT NULL,
    encryption_key_id text NOT NULL,
    encrypted_secret bytea NOT NULL,
    confirmed_at timestamp with time zone,
    last_step bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT luciapg_totp_last_step_check CHECK ((last_step >= 0))
);


--
-- Name: luciapg_webauthn_challenge; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.luciapg_webauthn_challenge (
    id text NOT NULL,
    user_id text,
    purpose text NOT NULL,
    data bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


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
-- Name: luciapg_audit_event luciapg_audit_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_audit_event
    ADD CONSTRAINT luciapg_audit_event_pkey PRIMARY KEY (id);


--
-- Name: luciapg_email_change luciapg_email_change_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_email_change
    ADD CONSTRAINT luciapg_email_change_pkey PRIMARY KEY (user_id);


--
-- Name: luciapg_passkey luciapg_passkey_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_passkey
    ADD CONSTRAINT luciapg_passkey_pkey PRIMARY KEY (credential_id);


--
-- Name: luciapg_passkey_user luciapg_passkey_user_handle_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_passkey_user
    ADD CONSTRAINT luciapg_passkey_user_handle_key UNIQUE (handle);


--
-- Name: luciapg_passkey_user luciapg_passkey_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_passkey_user
    ADD CONSTRAINT luciapg_passkey_user_pkey PRIMARY KEY (user_id);


--
-- Name: luciapg_pending_login luciapg_pending_login_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_pending_login
    ADD CONSTRAINT luciapg_pending_login_pkey PRIMARY KEY (id);


--
-- Name: luciapg_recovery_code luciapg_recovery_code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_recovery_code
    ADD CONSTRAINT luciapg_recovery_code_pkey PRIMARY KEY (user_id, code_hash);


--
-- Name: luciapg_schema_migrations luciapg_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_schema_migrations
    ADD CONSTRAINT luciapg_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: luciapg_session luciapg_session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_session
    ADD CONSTRAINT luciapg_session_pkey PRIMARY KEY (session_id);


--
-- Name: luciapg_totp luciapg_totp_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_totp
    ADD CONSTRAINT luciapg_totp_pkey PRIMARY KEY (user_id);


--
-- Name: luciapg_webauthn_challenge luciapg_webauthn_challenge_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_webauthn_challenge
    ADD CONSTRAINT luciapg_webauthn_challenge_pkey PRIMARY KEY (id);


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
-- Name: luciapg_audit_event_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_audit_event_at_idx ON public.luciapg_audit_event USING btree (at);


--
-- Name: luciapg_audit_event_sign_in_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_audit_event_sign_in_idx ON public.luciapg_audit_event USING btree (user_id, COALESCE(client_address, ''::text), COALESCE(user_agent, ''::text)) WHERE (kind = ANY (ARRAY['signup'::text, 'login'::text]));


--
-- Name: luciapg_audit_event_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_audit_event_user_id_idx ON public.luciapg_audit_event USING btree (user_id, id DESC);


--
-- Name: luciapg_email_change_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_email_change_expires_at_idx ON public.luciapg_email_change USING btree (expires_at);


--
-- Name: luciapg_passkey_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_passkey_user_id_idx ON public.luciapg_passkey USING btree (user_id, created_at);


--
-- Name: luciapg_pending_login_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_pending_login_expires_at_idx ON public.luciapg_pending_login USING btree (expires_at);


--
-- Name: luciapg_pending_login_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_pending_login_user_id_idx ON public.luciapg_pending_login USING btree (user_id);


--
-- Name: luciapg_session_cache_change_xid_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_session_cache_change_xid_idx ON public.luciapg_session_cache_change USING btree (xid);


--
-- Name: luciapg_session_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_session_user_id_idx ON public.luciapg_session USING btree (user_id);


--
-- Name: luciapg_webauthn_challenge_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_webauthn_challenge_expires_at_idx ON public.luciapg_webauthn_challenge USING btree (expires_at);


--
-- Name: luciapg_webauthn_challenge_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX luciapg_webauthn_challenge_user_id_idx ON public.luciapg_webauthn_challenge USING btree (user_id);


--
-- Name: luciapg_audit_event luciapg_audit_event_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER luciapg_audit_event_append_only BEFORE UPDATE ON public.luciapg_audit_event FOR EACH ROW EXECUTE FUNCTION public.luciapg_audit_event_refuse_update();


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
-- Name: luciapg_email_change luciapg_email_change_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_email_change
    ADD CONSTRAINT luciapg_email_change_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_passkey luciapg_passkey_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_passkey
    ADD CONSTRAINT luciapg_passkey_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_passkey_user luciapg_passkey_user_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_passkey_user
    ADD CONSTRAINT luciapg_passkey_user_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_pending_login luciapg_pending_login_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_pending_login
    ADD CONSTRAINT luciapg_pending_login_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_recovery_code luciapg_recovery_code_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_recovery_code
    ADD CONSTRAINT luciapg_recovery_code_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_session luciapg_session_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_session
    ADD CONSTRAINT luciapg_session_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.auth_session(id) ON DELETE CASCADE;


--
-- Name: luciapg_session luciapg_session_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_session
    ADD CONSTRAINT luciapg_session_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_totp luciapg_totp_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_totp
    ADD CONSTRAINT luciapg_totp_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: luciapg_webauthn_challenge luciapg_webauthn_challenge_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.luciapg_webauthn_challenge
    ADD CONSTRAINT luciapg_webauthn_challenge_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


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
    ('20261206100000'),
    ('20261207000000'),
    ('20261208000000');
