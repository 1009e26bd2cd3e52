-- The write floor, SQLite, part 1 (not timed): copies the rows ferry wrote
-- to its five output tables into the attached database ferry_floor.
-- bench/registrar.sh runs it with ferry_floor attached (a file of its own).
.bail on
CREATE TABLE ferry_floor.transition_domain AS SELECT * FROM transition_domain;
CREATE TABLE ferry_floor.domain AS SELECT * FROM domain;
CREATE TABLE ferry_floor.contact AS SELECT * FROM contact;
CREATE TABLE ferry_floor.domain_invitation AS SELECT * FROM domain_invitation;
CREATE TABLE ferry_floor.domain_information AS SELECT * FROM domain_information;
