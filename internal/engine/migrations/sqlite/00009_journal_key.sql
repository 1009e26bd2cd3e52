-- +goose Up
-- The PostgreSQL migration of this number makes (job_id, id) the
-- journal's primary key, dropping the index beside it. SQLite keeps both:
-- its id is the table's rowid, which an INTEGER PRIMARY KEY costs nothing
-- to keep, and changing a primary key would mean copying the table.
SELECT 1;

-- +goose Down
SELECT 1;
