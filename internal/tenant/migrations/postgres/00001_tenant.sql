-- +goose Up
-- The platform's tables (sunbird-export-format §1), one SQL table per
-- Cassandra table with the same columns and primary key, prefixed sb_ so
-- they sit beside the registrar's. This file is generated from the catalog
-- in catalog.go (TestSchemaFollowsCatalog fails when they disagree) and is
-- the same for both databases:
--   text, varchar      -> text
--   int                -> bigint
--   boolean            -> boolean
--   timestamp          -> text, canonical 'YYYY-MM-DD HH:MM:SS.fff+0000'
--                         (sorts as time; Cassandra keeps milliseconds)
--   list, set, map     -> text, compact JSON (lists keep order and
--                         repeats; map keys sorted), so they round-trip
-- extra holds, as a JSON object of text, the columns an export carries
-- that the catalog does not know (dropped or custom columns): nothing an
-- import reads is lost.
CREATE TABLE sb_organisation (
    id                     text NOT NULL,
    channel                text,
    contactdetail          text,
    createdby              text,
    createddate            text,
    description            text,
    email                  text,
    externalid             text,
    hashtagid              text,
    homeurl                text,
    imgurl                 text,
    isrootorg              boolean,
    isssoenabled           boolean,
    istenant               boolean,
    keys                   text,
    locationids            text,
    organisationsubtype    bigint,
    organisationtype       bigint,
    orglocation            text,
    orgname                text,
    provider               text,
    rootorgid              text,
    slug                   text,
    status                 bigint,
    updatedby              text,
    updateddate            text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_org_external_identity (
    provider               text NOT NULL,
    externalid             text NOT NULL,
    orgid                  text,
    extra                  text,
    PRIMARY KEY (provider, externalid)
);

CREATE TABLE sb_user (
    id                     text NOT NULL,
    alltncaccepted         text,
    channel                text,
    countrycode            text,
    createdby              text,
    createddate            text,
    dob                    text,
    email                  text,
    emailverified          boolean,
    firstname              text,
    flagsvalue             bigint,
    framework              text,
    isdeleted              boolean,
    lastname               text,
    locationids            text,
    loginid                text,
    managedby              text,
    maskedemail            text,
    maskedphone            text,
    phone                  text,
    phoneverified          boolean,
    prevusedemail          text,
    prevusedphone          text,
    profiledetails         text,
    profilelocation        text,
    profileusertype        text,
    profileusertypes       text,
    recoveryemail          text,
    recoveryphone          text,
    roles                  text,
    rootorgid              text,
    status                 bigint,
    tncacceptedon          text,
    tncacceptedversion     text,
    updatedby              text,
    updateddate            text,
    userid                 text,
    username               text,
    usersubtype            text,
    usertype               text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_usr_external_identity (
    provider               text NOT NULL,
    idtype                 text NOT NULL,
    externalid             text NOT NULL,
    createdby              text,
    createdon              text,
    lastupdatedby          text,
    lastupdatedon          text,
    originalexternalid     text,
    originalidtype         text,
    originalprovider       text,
    userid                 text,
    extra                  text,
    PRIMARY KEY (provider, idtype, externalid)
);

CREATE TABLE sb_user_lookup (
    type                   text NOT NULL,
    value                  text NOT NULL,
    userid                 text,
    extra                  text,
    PRIMARY KEY (type, value)
);

CREATE TABLE sb_user_organisation (
    userid                 text NOT NULL,
    organisationid         text NOT NULL,
    addedby                text,
    addedbyname            text,
    approvaldate           text,
    approvedby             text,
    associationtype        bigint,
    hashtagid              text,
    id                     text,
    isapproved             boolean,
    isdeleted              boolean,
    isrejected             boolean,
    orgjoindate            text,
    orgleftdate            text,
    position               text,
    roles                  text,
    updatedby              text,
    updateddate            text,
    extra                  text,
    PRIMARY KEY (userid, organisationid)
);

CREATE TABLE sb_user_org (
    id                     text NOT NULL,
    addedby                text,
    addedbyname            text,
    approvaldate           text,
    approvedby             text,
    hashtagid              text,
    isapproved             boolean,
    isdeleted              boolean,
    isrejected             boolean,
    organisationid         text,
    orgjoindate            text,
    orgleftdate            text,
    position               text,
    roles                  text,
    updatedby              text,
    updateddate            text,
    userid                 text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_user_roles (
    userid                 text NOT NULL,
    role                   text NOT NULL,
    createdby              text,
    createddate            text,
    scope                  text,
    updatedby              text,
    updateddate            text,
    extra                  text,
    PRIMARY KEY (userid, role)
);

CREATE TABLE sb_user_consent (
    user_id                text NOT NULL,
    consumer_id            text NOT NULL,
    object_id              text NOT NULL,
    categories             text,
    consent_data           text,
    consumer_type          text,
    created_on             text,
    expiry                 text,
    id                     text,
    last_updated_on        text,
    object_type            text,
    status                 text,
    extra                  text,
    PRIMARY KEY (user_id, consumer_id, object_id)
);

CREATE TABLE sb_legacy_course_batch (
    id                     text NOT NULL,
    countdecrementdate     text,
    countdecrementstatus   boolean,
    countincrementdate     text,
    countincrementstatus   boolean,
    courseadditionalinfo   text,
    coursecreator          text,
    courseid               text,
    createdby              text,
    createddate            text,
    createdfor             text,
    description            text,
    enddate                text,
    enrollmentenddate      text,
    enrollmenttype         text,
    hashtagid              text,
    mentors                text,
    name                   text,
    startdate              text,
    status                 bigint,
    updateddate            text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_course_batch (
    courseid               text NOT NULL,
    batchid                text NOT NULL,
    cert_templates         text,
    created_date           text,
    createdby              text,
    createddate            text,
    createdfor             text,
    description            text,
    end_date               text,
    enddate                text,
    enrollment_enddate     text,
    enrollmentenddate      text,
    enrollmenttype         text,
    mentors                text,
    name                   text,
    start_date             text,
    startdate              text,
    status                 bigint,
    tandc                  boolean,
    updated_date           text,
    updateddate            text,
    extra                  text,
    PRIMARY KEY (courseid, batchid)
);

CREATE TABLE sb_course_management (
    id                     text NOT NULL,
    addedby                text,
    addedbyname            text,
    contentid              text,
    contenttype            text,
    courseduration         text,
    courseid               text,
    courselogourl          text,
    coursename             text,
    courserating           text,
    coursetype             text,
    createddate            text,
    createdfor             text,
    description            text,
    enrollementenddate     text,
    enrollementstartdate   text,
    facultyid              text,
    facultyname            text,
    nooflectures           bigint,
    organisationid         text,
    organisationname       text,
    publishedby            text,
    publishedbyname        text,
    publisheddate          text,
    status                 text,
    tocurl                 text,
    tutor                  text,
    updatedby              text,
    updatedbyname          text,
    updateddate            text,
    usercount              bigint,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_page_management (
    id                     text NOT NULL,
    appmap                 text,
    created_date           text,
    createdby              text,
    createddate            text,
    name                   text,
    organisationid         text,
    portalmap              text,
    updated_date           text,
    updatedby              text,
    updateddate            text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_bulk_upload_process (
    id                     text NOT NULL,
    createdby              text,
    createdon              text,
    data                   text,
    failureresult          text,
    lastupdatedon          text,
    objecttype             text,
    organisationid         text,
    processendtime         text,
    processstarttime       text,
    retrycount             bigint,
    status                 bigint,
    storagedetails         text,
    successresult          text,
    taskcount              bigint,
    telemetrycontext       text,
    uploadedby             text,
    uploadeddate           text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_geo_location (
    id                     text NOT NULL,
    createdby              text,
    createddate            text,
    location               text,
    rootorgid              text,
    topic                  text,
    type                   text,
    updatedby              text,
    updateddate            text,
    usercount              bigint,
    usercountttl           text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_badge_class_extension (
    id                     text NOT NULL,
    issuerid               text,
    roles                  text,
    rootorgid              text,
    subtype                text,
    type                   text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_tenant_preference (
    id                     text NOT NULL,
    data                   text,
    key                    text,
    orgid                  text,
    role                   text,
    tenantname             text,
    extra                  text,
    PRIMARY KEY (id)
);

CREATE TABLE sb_tenant_preference_v2 (
    orgid                  text NOT NULL,
    key                    text NOT NULL,
    createdby              text,
    createdon              text,
    data                   text,
    updatedby              text,
    updatedon              text,
    extra                  text,
    PRIMARY KEY (orgid, key)
);

CREATE TABLE sb_content (
    id                     text NOT NULL,
    channel                text,
    extra                  text,
    PRIMARY KEY (id)
);

-- Indexes for the merge's lookups: who belongs to a tenant, what points
-- at an org. Cassandra keeps none of them (V1.116 dropped them); ferry
-- needs them to keep every step set-based.
CREATE INDEX sb_organisation_root ON sb_organisation (rootorgid);
CREATE INDEX sb_user_root ON sb_user (rootorgid);
CREATE INDEX sb_usr_external_identity_user ON sb_usr_external_identity (userid);
CREATE INDEX sb_user_lookup_user ON sb_user_lookup (userid);
CREATE INDEX sb_user_organisation_org ON sb_user_organisation (organisationid);
CREATE INDEX sb_user_org_org ON sb_user_org (organisationid);
CREATE INDEX sb_user_org_user ON sb_user_org (userid);
CREATE INDEX sb_user_consent_consumer ON sb_user_consent (consumer_id);
CREATE INDEX sb_user_consent_object ON sb_user_consent (object_id);
CREATE INDEX sb_page_management_org ON sb_page_management (organisationid);
CREATE INDEX sb_bulk_upload_process_org ON sb_bulk_upload_process (organisationid);
CREATE INDEX sb_geo_location_root ON sb_geo_location (rootorgid);
CREATE INDEX sb_badge_class_extension_root ON sb_badge_class_extension (rootorgid);
CREATE INDEX sb_course_management_org ON sb_course_management (organisationid);
CREATE INDEX sb_tenant_preference_org ON sb_tenant_preference (orgid);
CREATE INDEX sb_content_channel ON sb_content (channel);

-- Scratch tables an import streams each file into (job and physical line
-- first), before one set-based upsert moves them into the tables above.
-- Nothing else reads them; on PostgreSQL they skip the WAL.
CREATE UNLOGGED TABLE sbx_organisation (job_id bigint NOT NULL, line bigint NOT NULL, id text, channel text, contactdetail text, createdby text, createddate text, description text, email text, externalid text, hashtagid text, homeurl text, imgurl text, isrootorg boolean, isssoenabled boolean, istenant boolean, keys text, locationids text, organisationsubtype bigint, organisationtype bigint, orglocation text, orgname text, provider text, rootorgid text, slug text, status bigint, updatedby text, updateddate text, extra text);
CREATE UNLOGGED TABLE sbx_org_external_identity (job_id bigint NOT NULL, line bigint NOT NULL, provider text, externalid text, orgid text, extra text);
CREATE UNLOGGED TABLE sbx_user (job_id bigint NOT NULL, line bigint NOT NULL, id text, alltncaccepted text, channel text, countrycode text, createdby text, createddate text, dob text, email text, emailverified boolean, firstname text, flagsvalue bigint, framework text, isdeleted boolean, lastname text, locationids text, loginid text, managedby text, maskedemail text, maskedphone text, phone text, phoneverified boolean, prevusedemail text, prevusedphone text, profiledetails text, profilelocation text, profileusertype text, profileusertypes text, recoveryemail text, recoveryphone text, roles text, rootorgid text, status bigint, tncacceptedon text, tncacceptedversion text, updatedby text, updateddate text, userid text, username text, usersubtype text, usertype text, extra text);
CREATE UNLOGGED TABLE sbx_usr_external_identity (job_id bigint NOT NULL, line bigint NOT NULL, provider text, idtype text, externalid text, createdby text, createdon text, lastupdatedby text, lastupdatedon text, originalexternalid text, originalidtype text, originalprovider text, userid text, extra text);
CREATE UNLOGGED TABLE sbx_user_lookup (job_id bigint NOT NULL, line bigint NOT NULL, type text, value text, userid text, extra text);
CREATE UNLOGGED TABLE sbx_user_organisation (job_id bigint NOT NULL, line bigint NOT NULL, userid text, organisationid text, addedby text, addedbyname text, approvaldate text, approvedby text, associationtype bigint, hashtagid text, id text, isapproved boolean, isdeleted boolean, isrejected boolean, orgjoindate text, orgleftdate text, position text, roles text, updatedby text, updateddate text, extra text);
CREATE UNLOGGED TABLE sbx_user_org (job_id bigint NOT NULL, line bigint NOT NULL, id text, addedby text, addedbyname text, approvaldate text, approvedby text, hashtagid text, isapproved boolean, isdeleted boolean, isrejected boolean, organisationid text, orgjoindate text, orgleftdate text, position text, roles text, updatedby text, updateddate text, userid text, extra text);
CREATE UNLOGGED TABLE sbx_user_roles (job_id bigint NOT NULL, line bigint NOT NULL, userid text, role text, createdby text, createddate text, scope text, updatedby text, updateddate text, extra text);
CREATE UNLOGGED TABLE sbx_user_consent (job_id bigint NOT NULL, line bigint NOT NULL, user_id text, consumer_id text, object_id text, categories text, consent_data text, consumer_type text, created_on text, expiry text, id text, last_updated_on text, object_type text, status text, extra text);
CREATE UNLOGGED TABLE sbx_legacy_course_batch (job_id bigint NOT NULL, line bigint NOT NULL, id text, countdecrementdate text, countdecrementstatus boolean, countincrementdate text, countincrementstatus boolean, courseadditionalinfo text, coursecreator text, courseid text, createdby text, createddate text, createdfor text, description text, enddate text, enrollmentenddate text, enrollmenttype text, hashtagid text, mentors text, name text, startdate text, status bigint, updateddate text, extra text);
CREATE UNLOGGED TABLE sbx_course_batch (job_id bigint NOT NULL, line bigint NOT NULL, courseid text, batchid text, cert_templates text, created_date text, createdby text, createddate text, createdfor text, description text, end_date text, enddate text, enrollment_enddate text, enrollmentenddate text, enrollmenttype text, mentors text, name text, start_date text, startdate text, status bigint, tandc boolean, updated_date text, updateddate text, extra text);
CREATE UNLOGGED TABLE sbx_course_management (job_id bigint NOT NULL, line bigint NOT NULL, id text, addedby text, addedbyname text, contentid text, contenttype text, courseduration text, courseid text, courselogourl text, coursename text, courserating text, coursetype text, createddate text, createdfor text, description text, enrollementenddate text, enrollementstartdate text, facultyid text, facultyname text, nooflectures bigint, organisationid text, organisationname text, publishedby text, publishedbyname text, publisheddate text, status text, tocurl text, tutor text, updatedby text, updatedbyname text, updateddate text, usercount bigint, extra text);
CREATE UNLOGGED TABLE sbx_page_management (job_id bigint NOT NULL, line bigint NOT NULL, id text, appmap text, created_date text, createdby text, createddate text, name text, organisationid text, portalmap text, updated_date text, updatedby text, updateddate text, extra text);
CREATE UNLOGGED TABLE sbx_bulk_upload_process (job_id bigint NOT NULL, line bigint NOT NULL, id text, createdby text, createdon text, data text, failureresult text, lastupdatedon text, objecttype text, organisationid text, processendtime text, processstarttime text, retrycount bigint, status bigint, storagedetails text, successresult text, taskcount bigint, telemetrycontext text, uploadedby text, uploadeddate text, extra text);
CREATE UNLOGGED TABLE sbx_geo_location (job_id bigint NOT NULL, line bigint NOT NULL, id text, createdby text, createddate text, location text, rootorgid text, topic text, type text, updatedby text, updateddate text, usercount bigint, usercountttl text, extra text);
CREATE UNLOGGED TABLE sbx_badge_class_extension (job_id bigint NOT NULL, line bigint NOT NULL, id text, issuerid text, roles text, rootorgid text, subtype text, type text, extra text);
CREATE UNLOGGED TABLE sbx_tenant_preference (job_id bigint NOT NULL, line bigint NOT NULL, id text, data text, key text, orgid text, role text, tenantname text, extra text);
CREATE UNLOGGED TABLE sbx_tenant_preference_v2 (job_id bigint NOT NULL, line bigint NOT NULL, orgid text, key text, createdby text, createdon text, data text, updatedby text, updatedon text, extra text);
CREATE UNLOGGED TABLE sbx_content (job_id bigint NOT NULL, line bigint NOT NULL, id text, channel text, extra text);

-- +goose Down
DROP TABLE IF EXISTS sbx_content;
DROP TABLE IF EXISTS sbx_tenant_preference_v2;
DROP TABLE IF EXISTS sbx_tenant_preference;
DROP TABLE IF EXISTS sbx_badge_class_extension;
DROP TABLE IF EXISTS sbx_geo_location;
DROP TABLE IF EXISTS sbx_bulk_upload_process;
DROP TABLE IF EXISTS sbx_page_management;
DROP TABLE IF EXISTS sbx_course_management;
DROP TABLE IF EXISTS sbx_course_batch;
DROP TABLE IF EXISTS sbx_legacy_course_batch;
DROP TABLE IF EXISTS sbx_user_consent;
DROP TABLE IF EXISTS sbx_user_roles;
DROP TABLE IF EXISTS sbx_user_org;
DROP TABLE IF EXISTS sbx_user_organisation;
DROP TABLE IF EXISTS sbx_user_lookup;
DROP TABLE IF EXISTS sbx_usr_external_identity;
DROP TABLE IF EXISTS sbx_user;
DROP TABLE IF EXISTS sbx_org_external_identity;
DROP TABLE IF EXISTS sbx_organisation;
DROP TABLE IF EXISTS sb_content;
DROP TABLE IF EXISTS sb_tenant_preference_v2;
DROP TABLE IF EXISTS sb_tenant_preference;
DROP TABLE IF EXISTS sb_badge_class_extension;
DROP TABLE IF EXISTS sb_geo_location;
DROP TABLE IF EXISTS sb_bulk_upload_process;
DROP TABLE IF EXISTS sb_page_management;
DROP TABLE IF EXISTS sb_course_management;
DROP TABLE IF EXISTS sb_course_batch;
DROP TABLE IF EXISTS sb_legacy_course_batch;
DROP TABLE IF EXISTS sb_user_consent;
DROP TABLE IF EXISTS sb_user_roles;
DROP TABLE IF EXISTS sb_user_org;
DROP TABLE IF EXISTS sb_user_organisation;
DROP TABLE IF EXISTS sb_user_lookup;
DROP TABLE IF EXISTS sb_usr_external_identity;
DROP TABLE IF EXISTS sb_user;
DROP TABLE IF EXISTS sb_org_external_identity;
DROP TABLE IF EXISTS sb_organisation;
