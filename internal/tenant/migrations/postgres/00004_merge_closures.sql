-- +goose Up
-- The child orgs of both tenants, as the merge found them before its first
-- change, stored once beside its plan: inside the checkpoint, which every
-- batch rewrites, the 2,000 ids of a million-user dataset made each
-- checkpoint 46 kB (938 of them: 2.5 s). Empty for merges whose
-- checkpoint still carries them.
ALTER TABLE sb_merge_plan ADD COLUMN closures text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sb_merge_plan DROP COLUMN closures;
