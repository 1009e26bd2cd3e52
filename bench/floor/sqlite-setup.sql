-- The write floor, SQLite, part 1 (not timed): copies the rows ferry wrote
-- to its five output tables into the attached database ferry_floor.
-- The harness (bench/registrar) runs it with ferry_floor attached (a file
-- of its own).
.bail on
CREATE TABLE ferry_floor.transition_domain AS SELECT * FROM transition_domain;
CREATE TABLE ferry_floor.domain AS SELECT * FROM domain;
CREATE TABLE ferry_floor.contact AS SELECT * FROM contact;
CREATE TABLE ferry_floor.domain_invitation AS SELECT * FROM domain_invitation;
CREATE TABLE ferry_floor.domain_information AS SELECT * FROM domain_information;
-- Bare twins of the output tables for the third variant, in the ferry
-- database itself so they share its journal: the same columns, but no
-- index, no key and no constraint. They start empty.
CREATE TABLE ferry_bare_transition_domain AS SELECT * FROM transition_domain WHERE 0;
CREATE TABLE ferry_bare_domain AS SELECT * FROM domain WHERE 0;
CREATE TABLE ferry_bare_contact AS SELECT * FROM contact WHERE 0;
CREATE TABLE ferry_bare_domain_invitation AS SELECT * FROM domain_invitation WHERE 0;
CREATE TABLE ferry_bare_domain_information AS SELECT * FROM domain_information WHERE 0;
