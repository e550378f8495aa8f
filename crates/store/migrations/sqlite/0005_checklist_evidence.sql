-- The checklist's evidence files, the vendor form answered per client facility, and
-- checklist editions imported from the official MHLW workbooks.

-- Evidence content, addressed by its SHA-256 (hex) per organisation: the same file uploaded
-- twice is stored once. Rows are never deleted or changed.
CREATE TABLE evidence_blobs (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, sha256)
);

-- A file attached as evidence to one item of an assessment. A new upload under the same item
-- and file name is the next `version`; withdrawing only marks the row (who, when, why), the
-- content stays. Completing the assessment freezes the hashes of the files not withdrawn.
CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    item_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    note TEXT,
    uploaded_at INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    withdrawn_at INTEGER,
    withdrawn_by TEXT,
    withdrawn_reason TEXT,
    FOREIGN KEY (org_id, sha256) REFERENCES evidence_blobs(org_id, sha256),
    UNIQUE (assessment_id, item_id, file_name, version)
);
CREATE INDEX evidence_files_assessment ON evidence_files(assessment_id, item_id);

-- The 事業者確認用 form answered by a vendor organisation for one client facility. NULL for
-- an organisation's own assessment.
ALTER TABLE assessments ADD COLUMN client_org_id INTEGER REFERENCES orgs(id);

-- A facility asks a vendor organisation to answer the 事業者確認用 form for one 年度.
CREATE TABLE vendor_form_requests (
    id INTEGER PRIMARY KEY,
    facility_org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    fiscal_year INTEGER NOT NULL,
    message TEXT,
    requested_at INTEGER NOT NULL,
    requested_by TEXT NOT NULL,
    UNIQUE (facility_org_id, vendor_org_id, fiscal_year)
);
CREATE INDEX vendor_form_requests_vendor ON vendor_form_requests(vendor_org_id, fiscal_year);

-- A checklist edition imported by an organisation from an official workbook, stored in the
-- catalog's TOML data format. The organisation answers it like a built-in edition.
CREATE TABLE catalog_editions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    fiscal_year INTEGER NOT NULL,
    form TEXT NOT NULL,
    toml TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    UNIQUE (org_id, fiscal_year, form)
);
