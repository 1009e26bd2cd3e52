-- The write floor, SQLite (not timed): empties the output tables before a
-- timed write.
.bail on
PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM user_domain_role;
DELETE FROM domain_information;
DELETE FROM domain_invitation;
DELETE FROM contact;
DELETE FROM domain;
DELETE FROM transition_domain;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
