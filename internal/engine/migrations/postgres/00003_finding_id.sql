-- +goose Up
-- Findings get a key of their own, so that what a statement just recorded
-- can be told apart from what earlier ones did (the redaction pass reads
-- only the new rows) and so that listings page in a stable order.
ALTER TABLE ferry_finding ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

-- +goose Down
ALTER TABLE ferry_finding DROP COLUMN id;
