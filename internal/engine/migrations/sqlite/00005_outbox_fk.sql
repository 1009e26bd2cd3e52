-- +goose Up
-- No query reads the outbox by job: the index only cost each queued row
-- its upkeep. PostgreSQL also drops the outbox's foreign key here; SQLite
-- keeps it, as it keeps the journal's, since dropping a constraint means
-- rebuilding the table and its check is a primary-key lookup.
DROP INDEX IF EXISTS ferry_outbox_job;

-- +goose Down
CREATE INDEX IF NOT EXISTS ferry_outbox_job ON ferry_outbox (job_id);
