-- The write floor, SQLite (not timed): drops the bare tables. The output
-- tables hold the same rows as before the floor ran.
.bail on
DROP TABLE ferry_bare_transition_domain;
DROP TABLE ferry_bare_domain;
DROP TABLE ferry_bare_contact;
DROP TABLE ferry_bare_domain_invitation;
DROP TABLE ferry_bare_domain_information;
