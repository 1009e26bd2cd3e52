-- +goose Up
-- The journal is read by job, in id order (a rollback walks it backwards
-- from the newest entry); no query looks an entry up by entity and key,
-- and that index cost every journalled row its upkeep (a tenant merge
-- journals a row per changed row: 280,000 at 100,000 users).
DROP INDEX IF EXISTS ferry_journal_entity;
DROP INDEX IF EXISTS ferry_journal_job;
CREATE INDEX ferry_journal_job_id ON ferry_journal (job_id, id);

-- +goose Down
DROP INDEX IF EXISTS ferry_journal_job_id;
CREATE INDEX IF NOT EXISTS ferry_journal_job ON ferry_journal (job_id);
CREATE INDEX IF NOT EXISTS ferry_journal_entity ON ferry_journal (entity, entity_key);
