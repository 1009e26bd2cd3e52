-- The write floor, PostgreSQL (not timed): drops the copies. The output
-- tables hold the same rows as before the floor ran.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA ferry_floor CASCADE;
