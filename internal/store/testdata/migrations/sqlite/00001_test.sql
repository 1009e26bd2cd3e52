-- +goose Up
-- The store's own test tables: a bulk-load target and a table with a
-- generated key.
CREATE TABLE copied_row (job_id bigint NOT NULL, line bigint NOT NULL, name text NOT NULL, code text NOT NULL, kind text NOT NULL);
CREATE TABLE named_item (
    id      INTEGER PRIMARY KEY,
    name    text    NOT NULL,
    active  boolean NOT NULL,
    federal boolean NOT NULL
);

-- +goose Down
DROP TABLE named_item;
DROP TABLE copied_row;
