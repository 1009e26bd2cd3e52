-- The write floor, PostgreSQL (not timed): empties the output tables
-- before a timed write. user_domain_role only refers to domain; it is
-- empty after a migration and is emptied with it.
\set ON_ERROR_STOP on
TRUNCATE transition_domain, domain, domain_invitation, contact, domain_information, user_domain_role;
