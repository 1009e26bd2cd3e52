-- +goose Up
-- Outbox entries are claimed before they are delivered, for a lease: two
-- sync workers take disjoint entries, and the entries of a worker that
-- died are taken again once its lease ends. A failed entry's lease is its
-- backoff: it waits that long before any worker tries it again. The lease
-- is in Unix milliseconds, so that both databases compare it as a number.
ALTER TABLE ferry_outbox ADD COLUMN claimed_by text NOT NULL DEFAULT '';
ALTER TABLE ferry_outbox ADD COLUMN claimed_until bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE ferry_outbox DROP COLUMN claimed_until;
ALTER TABLE ferry_outbox DROP COLUMN claimed_by;
