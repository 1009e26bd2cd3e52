-- The write floor, PostgreSQL, part 1 (not timed): sets aside a copy of
-- the rows ferry wrote to its five output tables.
-- Run on a database where ferry has just run load and transfer.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ferry_floor CASCADE;
CREATE SCHEMA ferry_floor;
CREATE UNLOGGED TABLE ferry_floor.transition_domain AS SELECT * FROM transition_domain;
CREATE UNLOGGED TABLE ferry_floor.domain AS SELECT * FROM domain;
CREATE UNLOGGED TABLE ferry_floor.contact AS SELECT * FROM contact;
CREATE UNLOGGED TABLE ferry_floor.domain_invitation AS SELECT * FROM domain_invitation;
CREATE UNLOGGED TABLE ferry_floor.domain_information AS SELECT * FROM domain_information;
-- The foreign keys of the output tables, to drop and re-create in the
-- variant without them.
CREATE TABLE ferry_floor.fk AS
	SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
	WHERE contype = 'f' AND conrelid IN ('domain_invitation'::regclass, 'domain_information'::regclass, 'contact'::regclass,
		'domain'::regclass, 'transition_domain'::regclass);
-- Bare twins of the output tables for the third variant: the same columns
-- and defaults, and the staging table's fillfactor, but no index, no key
-- and no identity. They start empty.
CREATE TABLE ferry_floor.bare_transition_domain (LIKE transition_domain INCLUDING DEFAULTS) WITH (fillfactor = 50);
CREATE TABLE ferry_floor.bare_domain (LIKE domain INCLUDING DEFAULTS);
CREATE TABLE ferry_floor.bare_contact (LIKE contact INCLUDING DEFAULTS);
CREATE TABLE ferry_floor.bare_domain_invitation (LIKE domain_invitation INCLUDING DEFAULTS);
CREATE TABLE ferry_floor.bare_domain_information (LIKE domain_information INCLUDING DEFAULTS);
-- Prime the copies' pages so the timed part reads them from memory.
SELECT count(*) FROM ferry_floor.transition_domain;
SELECT count(*) FROM ferry_floor.domain_invitation;
