-- +goose Up
-- Versions used to live in one table for every owner; each set of
-- migrations now keeps its own.
DROP TABLE IF EXISTS ferry_schema_version;

-- A job started by another (a load inside a migrate) names it; the token
-- names the lock its owning process holds for as long as it lives, so a
-- dead owner is recognised by its lock, never by a pid that may be reused.
ALTER TABLE ferry_job ADD COLUMN parent_id bigint REFERENCES ferry_job (id) ON DELETE SET NULL;
ALTER TABLE ferry_job ADD COLUMN owner_token text NOT NULL DEFAULT '';
-- The locks the job took, space-separated, so that a job refused for one
-- of them can be told which job holds it.
ALTER TABLE ferry_job ADD COLUMN locks text NOT NULL DEFAULT '';
-- The latest progress of a running job (step, phase, done, total, rate),
-- for readers in other processes.
ALTER TABLE ferry_job ADD COLUMN progress text NOT NULL DEFAULT '{}';
CREATE INDEX ferry_job_parent ON ferry_job (parent_id);

-- A rejected line is kept byte for byte: it may be invalid UTF-8 or hold a
-- NUL, which a text column refuses.
ALTER TABLE ferry_reject ALTER COLUMN raw DROP DEFAULT;
ALTER TABLE ferry_reject ALTER COLUMN raw TYPE bytea USING convert_to(raw, 'UTF8');
ALTER TABLE ferry_reject ALTER COLUMN raw SET DEFAULT '\x'::bytea;

-- The outbox: one row per entity a job changed, for the search index to
-- pick up. Written in the transaction of the change, delivered later.
CREATE TABLE ferry_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       bigint      REFERENCES ferry_job (id) ON DELETE SET NULL,
    entity       text        NOT NULL,
    entity_key   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT ''
);
CREATE INDEX ferry_outbox_pending ON ferry_outbox (id) WHERE delivered_at IS NULL;
CREATE INDEX ferry_outbox_job ON ferry_outbox (job_id);

-- +goose Down
DROP TABLE ferry_outbox;
ALTER TABLE ferry_reject ALTER COLUMN raw DROP DEFAULT;
ALTER TABLE ferry_reject ALTER COLUMN raw TYPE text USING convert_from(raw, 'UTF8');
ALTER TABLE ferry_reject ALTER COLUMN raw SET DEFAULT '';
DROP INDEX ferry_job_parent;
ALTER TABLE ferry_job DROP COLUMN progress;
ALTER TABLE ferry_job DROP COLUMN locks;
ALTER TABLE ferry_job DROP COLUMN owner_token;
ALTER TABLE ferry_job DROP COLUMN parent_id;
