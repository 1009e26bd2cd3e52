-- +goose Up
-- Findings get a key of their own, so that what a statement just recorded
-- can be told apart from what earlier ones did (the redaction pass reads
-- only the new rows) and so that listings page in a stable order. SQLite
-- cannot add a key column in place; the table is rebuilt.
CREATE TABLE ferry_finding_new (
    id      INTEGER PRIMARY KEY,
    job_id  bigint NOT NULL REFERENCES ferry_job (id) ON DELETE CASCADE,
    kind    text   NOT NULL,
    subject text   NOT NULL,
    detail  text   NOT NULL DEFAULT ''
);
INSERT INTO ferry_finding_new (job_id, kind, subject, detail) SELECT job_id, kind, subject, detail FROM ferry_finding;
DROP TABLE ferry_finding;
ALTER TABLE ferry_finding_new RENAME TO ferry_finding;
CREATE INDEX ferry_finding_job ON ferry_finding (job_id, kind);

-- +goose Down
CREATE TABLE ferry_finding_old (
    job_id  bigint NOT NULL REFERENCES ferry_job (id) ON DELETE CASCADE,
    kind    text   NOT NULL,
    subject text   NOT NULL,
    detail  text   NOT NULL DEFAULT ''
);
INSERT INTO ferry_finding_old SELECT job_id, kind, subject, detail FROM ferry_finding;
DROP TABLE ferry_finding;
ALTER TABLE ferry_finding_old RENAME TO ferry_finding;
CREATE INDEX ferry_finding_job ON ferry_finding (job_id, kind);
