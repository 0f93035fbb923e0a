-- A PostgreSQL database as the first release (hand-written migration 20261122000000_Initial, EF Core 10.0.14) left it:
-- its init-db, then two keys, usage and a settings change written through its model; dumped with
-- `pg_dump --no-owner --no-privileges --inserts` (PostgreSQL 15), less its psql-only \restrict lines.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

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

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: __EFMigrationsHistory; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public."__EFMigrationsHistory" (
    "MigrationId" character varying(150) NOT NULL,
    "ProductVersion" character varying(32) NOT NULL
);


--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    name character varying(200) NOT NULL,
    key_prefix character varying(32) NOT NULL,
    key_hash character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    is_active boolean NOT NULL,
    deactivated_at timestamp with time zone,
    daily_tokens bigint,
    monthly_tokens bigint,
    daily_requests bigint,
    monthly_requests bigint
);


--
-- Name: settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.settings (
    id integer NOT NULL,
    ollama_url character varying(2048) NOT NULL,
    default_model character varying(200) NOT NULL,
    revision bigint NOT NULL
);


--
-- Name: usage_daily; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_daily (
    key_id uuid NOT NULL,
    day date NOT NULL,
    model character varying(200) NOT NULL,
    requests bigint NOT NULL,
    prompt_tokens bigint NOT NULL,
    completion_tokens bigint NOT NULL
);


--
-- Name: usage_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_events (
    id uuid NOT NULL,
    key_id uuid NOT NULL,
    model character varying(200) NOT NULL,
    endpoint character varying(64) NOT NULL,
    prompt_tokens integer NOT NULL,
    completion_tokens integer NOT NULL,
    status_code integer NOT NULL,
    duration_ms integer NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Data for Name: __EFMigrationsHistory; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public."__EFMigrationsHistory" VALUES ('20261122000000_Initial', '10.0.14');


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.api_keys VALUES ('3f2b8c1e-5d4a-4e6b-9a7c-1b2d3e4f5a6b', 'alice', 'sk-AlIcE123', '1111111111111111111111111111111111111111111111111111111111111111', '2026-11-23 08:15:30.123+00', '2027-06-30 00:00:00+00', true, NULL, 100000, NULL, NULL, 10000);
INSERT INTO public.api_keys VALUES ('a1b2c3d4-e5f6-4789-abcd-ef0123456789', 'bob (deactivated)', 'sk-BoB45678', '2222222222222222222222222222222222222222222222222222222222222222', '2026-11-23 08:20:30.123+00', NULL, false, '2026-11-24 08:15:30.123+00', NULL, NULL, NULL, NULL);


--
-- Data for Name: settings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.settings VALUES (1, 'http://gpu-box:11434', 'llama3', 7);


--
-- Data for Name: usage_daily; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usage_daily VALUES ('3f2b8c1e-5d4a-4e6b-9a7c-1b2d3e4f5a6b', '2026-11-23', 'llama3', 2, 17, 41);
INSERT INTO public.usage_daily VALUES ('a1b2c3d4-e5f6-4789-abcd-ef0123456789', '2026-11-23', 'mistral', 0, 3, 0);


--
-- Data for Name: usage_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usage_events VALUES ('0c0c0c0c-0000-4000-8000-000000000001', '3f2b8c1e-5d4a-4e6b-9a7c-1b2d3e4f5a6b', 'llama3', '/api/chat', 12, 34, 200, 456, '2026-11-23 09:15:30.123+00');
INSERT INTO public.usage_events VALUES ('0c0c0c0c-0000-4000-8000-000000000002', '3f2b8c1e-5d4a-4e6b-9a7c-1b2d3e4f5a6b', 'llama3', '/v1/chat/completions', 5, 7, 200, 89, '2026-11-23 10:15:30.123+00');
INSERT INTO public.usage_events VALUES ('0c0c0c0c-0000-4000-8000-000000000003', 'a1b2c3d4-e5f6-4789-abcd-ef0123456789', 'mistral', '/api/generate', 3, 0, 502, 10, '2026-11-23 11:15:30.123+00');


--
-- Name: __EFMigrationsHistory PK___EFMigrationsHistory; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."__EFMigrationsHistory"
    ADD CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId");


--
-- Name: api_keys pk_api_keys; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT pk_api_keys PRIMARY KEY (id);


--
-- Name: settings pk_settings; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.settings
    ADD CONSTRAINT pk_settings PRIMARY KEY (id);


--
-- Name: usage_daily pk_usage_daily; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_daily
    ADD CONSTRAINT pk_usage_daily PRIMARY KEY (key_id, day, model);


--
-- Name: usage_events pk_usage_events; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_events
    ADD CONSTRAINT pk_usage_events PRIMARY KEY (id);


--
-- Name: ix_api_keys_key_hash; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX ix_api_keys_key_hash ON public.api_keys USING btree (key_hash);


--
-- Name: ix_usage_events_key_id_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_usage_events_key_id_created_at ON public.usage_events USING btree (key_id, created_at);


--
-- PostgreSQL database dump complete
--


