-- +goose Up
-- IF NOT EXISTS throughout: databases made before each owner had its own
-- version table already hold these tables, and adopt them unchanged.
-- Durable job records: every ferry command run, its inputs, progress and outcome.
CREATE TABLE IF NOT EXISTS ferry_job (
    id           INTEGER PRIMARY KEY,
    kind         text        NOT NULL,
    job_group    text        NOT NULL DEFAULT '',
    status       text        NOT NULL,
    phase        text        NOT NULL DEFAULT '',
    dry_run      boolean     NOT NULL DEFAULT false,
    fingerprint  text        NOT NULL DEFAULT '',
    args         text        NOT NULL DEFAULT '{}',
    inputs       text        NOT NULL DEFAULT '[]',
    counts       text        NOT NULL DEFAULT '{}',
    checkpoint   text        NOT NULL DEFAULT '{}',
    error        text        NOT NULL DEFAULT '',
    owner        text        NOT NULL DEFAULT '',
    attempts     integer     NOT NULL DEFAULT 1,
    started_at   TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE INDEX IF NOT EXISTS ferry_job_kind_status ON ferry_job (kind, status);
CREATE INDEX IF NOT EXISTS ferry_job_group_status ON ferry_job (job_group, status);

-- Input rows that were refused, with file, line and reason.
CREATE TABLE IF NOT EXISTS ferry_reject (
    job_id bigint NOT NULL REFERENCES ferry_job (id) ON DELETE CASCADE,
    file   text   NOT NULL,
    line   bigint NOT NULL,
    reason text   NOT NULL,
    raw    text   NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ferry_reject_job ON ferry_reject (job_id, file, line);

-- Observations a job reports without refusing anything (outlier statuses,
-- contacts without e-mail, unmappable states ...).
CREATE TABLE IF NOT EXISTS ferry_finding (
    job_id  bigint NOT NULL REFERENCES ferry_job (id) ON DELETE CASCADE,
    kind    text   NOT NULL,
    subject text   NOT NULL,
    detail  text   NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ferry_finding_job ON ferry_finding (job_id, kind);

-- The change journal: before and after images of rows a job changed that
-- existed before it ran. Rows a job created carry its job_id instead.
CREATE TABLE IF NOT EXISTS ferry_journal (
    id         INTEGER PRIMARY KEY,
    job_id     bigint      NOT NULL REFERENCES ferry_job (id) ON DELETE CASCADE,
    entity     text        NOT NULL,
    entity_key text        NOT NULL,
    action     text        NOT NULL,
    before     text        NOT NULL DEFAULT '',
    after      text        NOT NULL DEFAULT '',
    at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS ferry_journal_job ON ferry_journal (job_id);
CREATE INDEX IF NOT EXISTS ferry_journal_entity ON ferry_journal (entity, entity_key);

-- +goose Down
DROP TABLE IF EXISTS ferry_journal;
DROP TABLE IF EXISTS ferry_finding;
DROP TABLE IF EXISTS ferry_reject;
DROP TABLE IF EXISTS ferry_job;
