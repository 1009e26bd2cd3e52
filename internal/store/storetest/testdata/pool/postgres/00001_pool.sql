-- +goose Up
-- The pool tests' schema: a generated key, a foreign key, an index, an
-- unlogged table and a sequence of its own.
CREATE TABLE item (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE item_tag (
    item_id bigint NOT NULL REFERENCES item (id),
    tag     text   NOT NULL
);
CREATE INDEX item_tag_tag ON item_tag (tag);
CREATE UNLOGGED TABLE scratch (n integer NOT NULL);
CREATE SEQUENCE ticket;

-- +goose Down
DROP SEQUENCE ticket;
DROP TABLE scratch;
DROP TABLE item_tag;
DROP TABLE item;
