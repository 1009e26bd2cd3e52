-- The timed writes of the write floor: exactly the rows ferry wrote to its
-- five output tables, put back in the order ferry writes them, computing
-- nothing. The harness (bench/registrar/floor.go) wraps this in one
-- transaction, with or without the tables' foreign keys or redirected to
-- bare twins of the tables, and strips OVERRIDING SYSTEM VALUE for SQLite.
-- The copies and the twins come from postgres-setup.sql / sqlite-setup.sql.
--
-- The load: staging rows, not yet processed.
INSERT INTO transition_domain OVERRIDING SYSTEM VALUE
	SELECT id, username, domain_name, status, epp_statuses, contact_roles, email_sent, false, generic_org_type, federal_type,
	organization_name, federal_agency, epp_creation_date, epp_expiration_date, first_name, middle_name, last_name, title,
	email, phone, address_line, city, state_territory, zipcode, job_id, created_at, updated_at
	FROM ferry_floor.transition_domain ORDER BY domain_name, username;
-- The transfer.
INSERT INTO domain OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.domain ORDER BY id;
INSERT INTO contact OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.contact ORDER BY id;
INSERT INTO domain_invitation OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.domain_invitation ORDER BY id;
INSERT INTO domain_information OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.domain_information ORDER BY id;
UPDATE transition_domain SET processed = true;
