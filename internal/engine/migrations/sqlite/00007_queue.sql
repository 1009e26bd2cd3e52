-- +goose Up
-- Background jobs: see the PostgreSQL migration of the same number.
ALTER TABLE ferry_job ADD COLUMN background boolean NOT NULL DEFAULT false;
ALTER TABLE ferry_job ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
CREATE INDEX ferry_job_background ON ferry_job (status) WHERE background;

-- +goose Down
DROP INDEX IF EXISTS ferry_job_background;
ALTER TABLE ferry_job DROP COLUMN cancel_requested;
ALTER TABLE ferry_job DROP COLUMN background;
