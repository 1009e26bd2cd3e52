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
-- NUL. SQLite cannot change a column's type in place, so the table is
-- rebuilt with raw as a BLOB.
CREATE TABLE ferry_reject_new (
    job_id bigint NOT NULL REFERENCES ferry_job (id) ON DELETE CASCADE,
    file   text   NOT NULL,
    line   bigint NOT NULL,
    reason text   NOT NULL,
    raw    BLOB   NOT NULL DEFAULT x''
);
INSERT INTO ferry_reject_new (job_id, file, line, reason, raw) SELECT job_id, file, line, reason, CAST(raw AS BLOB) FROM ferry_reject;
DROP TABLE ferry_reject;
ALTER TABLE ferry_reject_new RENAME TO ferry_reject;
CREATE INDEX ferry_reject_job ON ferry_reject (job_id, file, line);

-- The outbox: one row per entity a job changed, for the search index to
-- pick up. Written in the transaction of the change, delivered later.
CREATE TABLE ferry_outbox (
    id           INTEGER PRIMARY KEY,
    job_id       bigint    REFERENCES ferry_job (id) ON DELETE SET NULL,
    entity       text      NOT NULL,
    entity_key   text      NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    delivered_at TIMESTAMP,
    attempts     integer   NOT NULL DEFAULT 0,
    last_error   text      NOT NULL DEFAULT ''
);
CREATE INDEX ferry_outbox_pending ON ferry_outbox (id) WHERE delivered_at IS NULL;
CREATE INDEX ferry_outbox_job ON ferry_outbox (job_id);

-- +goose Down
DROP TABLE ferry_outbox;
DROP INDEX ferry_job_parent;
ALTER TABLE ferry_job DROP COLUMN progress;
ALTER TABLE ferry_job DROP COLUMN locks;
ALTER TABLE ferry_job DROP COLUMN owner_token;
ALTER TABLE ferry_job DROP COLUMN parent_id;
