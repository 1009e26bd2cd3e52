-- The tenant merge as hand-written SQL for SQLite: the end state of
-- `ferry tenant migrate --on-conflict skip` for all entities and all users,
-- reached by set-based statements over the whole tenant in one
-- transaction, with no journal, no outbox, no checkpoint and no batches.
-- It is the baseline bench/tenant times ferry's merge against; the same
-- statements as bare-postgres.sql, in the same order.
--
-- The sqlite3 shell has no variables: bench/tenant replaces each placeholder
-- :'...' below by its value as a quoted literal before feeding the script to it
-- (src, tgt: the root org ids; src_chan, tgt_chan: their channels in lower
-- case; tgt_channel, tgt_name: the target's channel and name as they are;
-- actor; touch_text, touch_ts: the merge time in Sunbird's text format and
-- as a timestamp). It needs sqlite3 3.38 or later (UPDATE ... FROM, JSON),
-- and so puts no ORDER BY inside an aggregate (3.44): the lists are
-- aggregated from a subquery in order.

.bail on
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
.changes on
BEGIN;

-- The child orgs of both tenants (P1): every org whose rootorgid chain
-- reaches the tenant, the chain stopping at the first org that is itself
-- a tenant (istenant decides, isrootorg when it is null).
CREATE TEMP TABLE bare_closure AS
WITH RECURSIVE c (tenant, id) AS (
    SELECT o.rootorgid, o.id FROM sb_organisation o
     WHERE o.rootorgid IN (:'src', :'tgt') AND NOT coalesce(o.istenant, o.isrootorg, 0)
    UNION
    SELECT c.tenant, o.id FROM sb_organisation o JOIN c ON o.rootorgid = c.id
     WHERE NOT coalesce(o.istenant, o.isrootorg, 0)
)
SELECT tenant, id FROM c;

-- Child orgs' external ids move to the target's channel unless taken
-- there (P11).
UPDATE sb_org_external_identity AS x SET provider = :'tgt_chan'
 WHERE x.provider = :'src_chan' AND x.orgid IN (SELECT id FROM bare_closure)
   AND NOT EXISTS (SELECT 1 FROM sb_org_external_identity n
                    WHERE n.provider = :'tgt_chan' AND n.externalid = x.externalid);

-- The source's child orgs, nested ones included, hang off the target (P1);
-- an org keeps its provider when one of its external ids stayed behind.
UPDATE sb_organisation AS o SET
       rootorgid = :'tgt',
       channel = :'tgt_channel',
       provider = CASE WHEN o.provider = :'src_chan' AND NOT EXISTS (
                           SELECT 1 FROM sb_org_external_identity x WHERE x.orgid = o.id AND x.provider = :'src_chan')
                       THEN :'tgt_chan' ELSE o.provider END,
       updatedby = :'actor', updateddate = :'touch_text'
 WHERE o.id IN (SELECT id FROM bare_closure WHERE tenant = :'src')
   AND (o.rootorgid IS NULL OR o.rootorgid <> :'tgt');

-- Users (P3).
UPDATE sb_user SET rootorgid = :'tgt', channel = :'tgt_channel', updatedby = :'actor', updateddate = :'touch_text'
 WHERE rootorgid = :'src';

-- Memberships (P4): a source membership of a user who is already a member
-- of the target folds into that row, and the rest move.
UPDATE sb_user_organisation AS t SET
       roles = (SELECT json_group_array(v) FROM (
                  SELECT value AS v, min(k) AS k FROM (
                    SELECT value, key AS k FROM json_each(coalesce(t.roles, '[]'))
                    UNION ALL
                    SELECT value, key + 1000000 FROM json_each(coalesce(s.roles, '[]')))
                   GROUP BY 1 ORDER BY k)),
       orgjoindate = CASE WHEN t.orgjoindate IS NULL OR s.orgjoindate < t.orgjoindate
                          THEN coalesce(s.orgjoindate, t.orgjoindate) ELSE t.orgjoindate END,
       associationtype = CASE WHEN t.associationtype IS NULL AND s.associationtype IS NULL THEN NULL
                              ELSE coalesce(t.associationtype, 0) | coalesce(s.associationtype, 0) END,
       isdeleted = CASE WHEN t.isdeleted = 0 OR s.isdeleted = 0 THEN 0
                        WHEN t.isdeleted IS NULL AND s.isdeleted IS NULL THEN NULL ELSE 1 END,
       updatedby = :'actor', updateddate = :'touch_text'
  FROM sb_user_organisation AS s
 WHERE s.organisationid = :'src' AND t.organisationid = :'tgt' AND t.userid = s.userid;

DELETE FROM sb_user_organisation AS s
 WHERE s.organisationid = :'src'
   AND EXISTS (SELECT 1 FROM sb_user_organisation t WHERE t.userid = s.userid AND t.organisationid = :'tgt');

UPDATE sb_user_organisation SET
       organisationid = :'tgt',
       hashtagid = (SELECT coalesce(nullif(hashtagid, ''), id) FROM sb_organisation WHERE id = :'tgt'),
       updatedby = :'actor', updateddate = :'touch_text'
 WHERE organisationid = :'src';

-- Legacy memberships (P5): into the user's first target row, the roles of
-- the first source row and the earliest join date; the rest move in place.
UPDATE sb_user_org AS t SET
       roles = (SELECT json_group_array(v) FROM (
                  SELECT value AS v, min(k) AS k FROM (
                    SELECT value, key AS k FROM json_each(coalesce(t.roles, '[]'))
                    UNION ALL
                    SELECT value, key + 1000000 FROM json_each(coalesce(s.roles, '[]')))
                   GROUP BY 1 ORDER BY k)),
       orgjoindate = CASE WHEN t.orgjoindate IS NULL OR s.joined < t.orgjoindate
                          THEN coalesce(s.joined, t.orgjoindate) ELSE t.orgjoindate END
  FROM (SELECT o.userid, min(o.orgjoindate) AS joined,
               (SELECT f.roles FROM sb_user_org f WHERE f.userid = o.userid AND f.organisationid = :'src' ORDER BY f.id LIMIT 1) AS roles
          FROM sb_user_org o WHERE o.organisationid = :'src' GROUP BY o.userid) AS s
 WHERE t.userid = s.userid
   AND t.id IN (SELECT min(n.id) FROM sb_user_org n WHERE n.organisationid = :'tgt' GROUP BY n.userid);

DELETE FROM sb_user_org AS s
 WHERE s.organisationid = :'src'
   AND EXISTS (SELECT 1 FROM sb_user_org t WHERE t.userid = s.userid AND t.organisationid = :'tgt');

UPDATE sb_user_org SET
       organisationid = :'tgt',
       hashtagid = (SELECT coalesce(nullif(hashtagid, ''), id) FROM sb_organisation WHERE id = :'tgt'),
       updatedby = :'actor', updateddate = :'touch_text'
 WHERE organisationid = :'src';

-- External identities (P6): re-keyed to the target unless the new key is
-- taken.
UPDATE sb_usr_external_identity AS x SET
       provider = :'tgt',
       idtype = CASE WHEN x.idtype = :'src' THEN :'tgt' ELSE x.idtype END,
       originalprovider = CASE WHEN x.originalprovider = :'src' THEN :'tgt' ELSE x.originalprovider END,
       originalidtype = CASE WHEN x.originalidtype = :'src' THEN :'tgt' ELSE x.originalidtype END,
       lastupdatedby = :'actor', lastupdatedon = :'touch_ts'
 WHERE x.provider = :'src'
   AND NOT EXISTS (SELECT 1 FROM sb_usr_external_identity n
                    WHERE n.provider = :'tgt' AND n.externalid = x.externalid
                      AND n.idtype = CASE WHEN x.idtype = :'src' THEN :'tgt' ELSE x.idtype END);

-- Their lookups (P7): value@source becomes value@target, unless that is
-- taken or the identity itself stayed (the source's is still there and the
-- target's exists).
UPDATE sb_user_lookup AS l SET value = n.ext || '@' || :'tgt'
  FROM (SELECT type, value, substr(value, 1, length(value) - length(:'src') - 1) AS ext FROM sb_user_lookup
         WHERE type = 'externalid' AND substr(value, -(length(:'src') + 1)) = '@' || :'src') AS n
 WHERE l.type = n.type AND l.value = n.value
   AND NOT EXISTS (SELECT 1 FROM sb_user_lookup t WHERE t.type = 'externalid' AND t.value = n.ext || '@' || :'tgt')
   AND NOT (EXISTS (SELECT 1 FROM sb_usr_external_identity i WHERE i.provider = :'tgt' AND i.idtype = :'tgt' AND i.externalid = n.ext)
            AND EXISTS (SELECT 1 FROM sb_usr_external_identity i WHERE i.provider = :'src' AND i.idtype = :'src' AND i.externalid = n.ext));

-- Role scopes (P8): every source entry points at the target, repeats
-- dropped, the first kept.
UPDATE sb_user_roles SET
       scope = (SELECT '[' || group_concat(v, ',') || ']' FROM (
                  SELECT CASE WHEN json_extract(value, '$.organisationId') = :'src'
                              THEN replace(json(value), '"' || :'src' || '"', '"' || :'tgt' || '"')
                              ELSE json(value) END AS v, min(key) AS k
                    FROM json_each(scope) GROUP BY 1 ORDER BY k)),
       updatedby = :'actor', updateddate = :'touch_text'
 WHERE instr(scope, '"' || :'src' || '"') > 0
   AND EXISTS (SELECT 1 FROM json_each(scope) WHERE json_extract(value, '$.organisationId') = :'src');

-- Consents to the source are revoked, never re-keyed (P9).
UPDATE sb_user_consent SET status = 'REVOKED', last_updated_on = :'touch_ts'
 WHERE (consumer_id = :'src' OR object_id = :'src') AND status = 'ACTIVE';

-- createdfor lists (P10): every source entry replaced, repeats dropped.
UPDATE sb_course_batch SET
       createdfor = (SELECT json_group_array(v) FROM (
                       SELECT CASE WHEN value = :'src' THEN :'tgt' ELSE value END AS v, min(key) AS k
                         FROM json_each(createdfor) GROUP BY 1 ORDER BY k)),
       updated_date = :'touch_ts'
 WHERE instr(createdfor, '"' || :'src' || '"') > 0
   AND EXISTS (SELECT 1 FROM json_each(createdfor) WHERE value = :'src');

UPDATE sb_legacy_course_batch SET
       createdfor = (SELECT json_group_array(v) FROM (
                       SELECT CASE WHEN value = :'src' THEN :'tgt' ELSE value END AS v, min(key) AS k
                         FROM json_each(createdfor) GROUP BY 1 ORDER BY k)),
       updateddate = :'touch_text'
 WHERE instr(createdfor, '"' || :'src' || '"') > 0
   AND EXISTS (SELECT 1 FROM json_each(createdfor) WHERE value = :'src');

-- Org-scoped records (P12); a page name or preference key the target
-- already has stays behind.
UPDATE sb_page_management AS p SET organisationid = :'tgt', updatedby = :'actor', updateddate = :'touch_text', updated_date = :'touch_ts'
 WHERE p.organisationid = :'src'
   AND NOT EXISTS (SELECT 1 FROM sb_page_management n WHERE n.organisationid = :'tgt' AND n.name = p.name);

UPDATE sb_bulk_upload_process SET organisationid = :'tgt' WHERE organisationid = :'src';

UPDATE sb_geo_location SET rootorgid = :'tgt', updatedby = :'actor', updateddate = :'touch_text' WHERE rootorgid = :'src';

UPDATE sb_badge_class_extension SET rootorgid = :'tgt' WHERE rootorgid = :'src';

UPDATE sb_course_management AS c SET
       organisationid = CASE WHEN c.organisationid = :'src' THEN :'tgt' ELSE c.organisationid END,
       organisationname = CASE WHEN c.organisationid = :'src' THEN :'tgt_name' ELSE c.organisationname END,
       createdfor = CASE WHEN instr(c.createdfor, '"' || :'src' || '"') > 0
                              AND EXISTS (SELECT 1 FROM json_each(c.createdfor) WHERE value = :'src')
                         THEN (SELECT json_group_array(v) FROM (
                                 SELECT CASE WHEN value = :'src' THEN :'tgt' ELSE value END AS v, min(key) AS k
                                   FROM json_each(c.createdfor) GROUP BY 1 ORDER BY k))
                         ELSE c.createdfor END,
       updatedby = :'actor', updateddate = :'touch_text'
 WHERE c.organisationid = :'src'
    OR (instr(c.createdfor, '"' || :'src' || '"') > 0
        AND EXISTS (SELECT 1 FROM json_each(c.createdfor) WHERE value = :'src'));

UPDATE sb_tenant_preference AS p SET orgid = :'tgt', tenantname = :'tgt_name'
 WHERE p.orgid = :'src'
   AND NOT EXISTS (SELECT 1 FROM sb_tenant_preference n WHERE n.orgid = :'tgt' AND n.key = p.key);

UPDATE sb_tenant_preference_v2 AS p SET orgid = :'tgt', updatedby = :'actor', updatedon = :'touch_ts'
 WHERE p.orgid = :'src'
   AND NOT EXISTS (SELECT 1 FROM sb_tenant_preference_v2 n WHERE n.orgid = :'tgt' AND n.key = p.key);

-- The content channel: from the source's root id to the target's.
UPDATE sb_content SET channel = :'tgt' WHERE channel = :'src';

-- Last, the source goes INACTIVE once no user, child org or membership
-- points at it (P2).
UPDATE sb_organisation SET status = 0, updatedby = :'actor', updateddate = :'touch_text'
 WHERE id = :'src' AND coalesce(status, -1) <> 0
   AND NOT EXISTS (SELECT 1 FROM sb_user WHERE rootorgid = :'src')
   AND NOT EXISTS (SELECT 1 FROM sb_organisation WHERE rootorgid = :'src' AND id <> :'src')
   AND NOT EXISTS (SELECT 1 FROM sb_user_organisation WHERE organisationid = :'src')
   AND NOT EXISTS (SELECT 1 FROM sb_user_org WHERE organisationid = :'src');

COMMIT;
