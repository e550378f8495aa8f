-- Vendors (医療情報システム等提供事業者) of a facility: contracts, the systems, assets and
-- services they provide or maintain (with where each service keeps the data), the documents
-- received from them (MDS/SDS, サービス仕様適合開示書, SLA, 事業者確認用; content in
-- evidence_blobs, versioned, withdrawn but never deleted), third-party certifications,
-- remote maintenance, and the responsibility matrix (責任分界表) per system.

-- A vendor of the organisation. `vendor_org_id` optionally links it to the vendor's own
-- organisation on this server: that organisation's users then see what is shared with it.
CREATE TABLE vendors (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    vendor_org_id INTEGER REFERENCES orgs(id),
    contact_name TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    address TEXT,
    note TEXT,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, name)
);
CREATE INDEX vendors_vendor_org ON vendors(vendor_org_id);

CREATE TABLE vendor_contracts (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    title TEXT NOT NULL,
    contract_no TEXT,
    start_date TEXT,
    end_date TEXT,
    scope TEXT,
    created_at INTEGER NOT NULL
);

-- A service (クラウド, 外部保存, ASP・SaaS, 保守 …) and where it keeps the facility's data.
-- `within_japan_law`: 国内法の執行が及ぶ場所か (NULL = not known).
CREATE TABLE vendor_services (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    name TEXT NOT NULL,
    stores_data INTEGER NOT NULL,
    data_country TEXT,
    data_provider TEXT,
    within_japan_law INTEGER,
    note TEXT,
    created_at INTEGER NOT NULL
);

-- The systems (システム台帳) and assets (資産台帳) a vendor provides or maintains.
CREATE TABLE vendor_systems (
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    PRIMARY KEY (vendor_id, system_id)
);
CREATE TABLE vendor_assets (
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    PRIMARY KEY (vendor_id, asset_id)
);

-- A document received from a vendor. A new upload of the same kind is the next `version`;
-- a record without a file (paper copy) has no sha256.
CREATE TABLE vendor_documents (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    form_version TEXT,
    received_on TEXT NOT NULL,
    file_name TEXT,
    content_type TEXT,
    sha256 TEXT,
    size INTEGER,
    note TEXT,
    uploaded_at INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    withdrawn_at INTEGER,
    withdrawn_by TEXT,
    withdrawn_reason TEXT,
    FOREIGN KEY (org_id, sha256) REFERENCES evidence_blobs(org_id, sha256),
    UNIQUE (vendor_id, kind, version)
);

CREATE TABLE vendor_certifications (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    scope TEXT,
    cert_no TEXT,
    expires_on TEXT,
    created_at INTEGER NOT NULL
);

-- リモートメンテナンス: what is maintained, how, who may connect, whether logs are kept.
CREATE TABLE vendor_remote_access (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    target TEXT NOT NULL,
    method TEXT,
    allowed_persons TEXT,
    logs_kept INTEGER,
    log_location TEXT,
    created_at INTEGER NOT NULL
);

-- 責任分界表: for a system and duty, a party (the facility, or a vendor) that is
-- responsible or to be informed; a vendor's acceptance of its duty is recorded with it.
CREATE TABLE responsibilities (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    duty TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('responsible', 'informed')),
    vendor_id INTEGER REFERENCES vendors(id),
    accepted_at INTEGER,
    accepted_by TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX responsibilities_system ON responsibilities(system_id, duty);
