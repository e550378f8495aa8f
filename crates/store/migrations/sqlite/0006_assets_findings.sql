-- 台帳 (the asset ledger), vulnerability feeds, and findings with remediation tracking.

-- One row per asset of an organisation; 資産ID (`asset_key`) is unique within it. A retired
-- asset keeps its row (status 'retired'); every change is in the organisation's ledger.
-- Yes/no columns are 1/0, NULL = unknown.
CREATE TABLE assets (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    asset_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('server', 'pc', 'network', 'medical_device', 'other')),
    name TEXT NOT NULL,
    vendor TEXT,
    product TEXT,
    version TEXT,
    os TEXT,
    hostname TEXT,
    ip TEXT,
    location TEXT,
    department TEXT,
    maintainer TEXT,
    remote_maintenance INTEGER,
    internet_facing INTEGER,
    source_restricted INTEGER,
    usb_restricted INTEGER,
    services_minimized INTEGER,
    last_patched TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'stopped', 'retired')),
    cpe TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (org_id, asset_key)
);

-- 棚卸: the ledger was reviewed as a whole (evidence for 2-(1): reviewed within 12 months).
CREATE TABLE asset_reviews (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    reviewed_on TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    assets INTEGER NOT NULL,
    note TEXT,
    created_at INTEGER NOT NULL
);

-- Imported vulnerability feed files (server-wide: public data). `kind` is nvd | kev | jvn.
CREATE TABLE vuln_feeds (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    feed_date TEXT,
    sha256 TEXT NOT NULL,
    records INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);

-- The current record per feed kind and key (CVE id, JVNDB id); a re-import replaces a
-- record (and, for KEV, the whole catalog) in one transaction. `data` is the record's JSON.
CREATE TABLE vuln_records (
    kind TEXT NOT NULL,
    record_key TEXT NOT NULL,
    feed_id INTEGER NOT NULL REFERENCES vuln_feeds(id),
    data TEXT NOT NULL,
    PRIMARY KEY (kind, record_key)
);

-- Findings of the rules, per organisation. `finding_key` identifies the condition (rule +
-- subject + detail, e.g. a CVE id) so re-evaluation updates it; a finding whose condition is
-- gone is resolved (never deleted). 担当 / 期限 / 対応状況 are the remediation tracking;
-- their history is in the ledger.
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    finding_key TEXT NOT NULL,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    checklist TEXT NOT NULL,
    evidence TEXT NOT NULL,
    due_hint TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    resolved_at INTEGER,
    assignee TEXT,
    due_date TEXT,
    progress TEXT NOT NULL CHECK (progress IN ('todo', 'doing', 'done', 'accepted')),
    remediation_note TEXT,
    UNIQUE (org_id, finding_key)
);
CREATE INDEX findings_org_status ON findings(org_id, status, severity);
