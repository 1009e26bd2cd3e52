-- +goose Up
-- Background jobs: a job the HTTP service accepted is recorded queued, with
-- background set, and a worker of any ferry serve process claims it; a
-- worker also resumes background jobs that were interrupted. Cancellation
-- is asked for in the row and noticed by the job at its next checkpoint,
-- whichever process runs it.
ALTER TABLE ferry_job ADD COLUMN IF NOT EXISTS background boolean NOT NULL DEFAULT false;
ALTER TABLE ferry_job ADD COLUMN IF NOT EXISTS cancel_requested boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS ferry_job_background ON ferry_job (status) WHERE background;

-- +goose Down
DROP INDEX IF EXISTS ferry_job_background;
ALTER TABLE ferry_job DROP COLUMN IF EXISTS cancel_requested;
ALTER TABLE ferry_job DROP COLUMN IF EXISTS background;
