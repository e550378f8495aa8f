-- Accounts and access rights audit: the organisation's systems, dated snapshots of their
-- account lists and of the staff roster (職員名簿), the access policy, maintenance windows
-- and the monthly 棚卸 (account review) sign-offs.

-- システム: 電子カルテ, レセコン, PACS, Active Directory, VPN … of one organisation.
CREATE TABLE systems (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT,
    vendor TEXT,
    supports_mfa INTEGER NOT NULL,
    min_password_len INTEGER,
    note TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- The assets (台帳) a system runs on.
CREATE TABLE system_assets (
    system_id INTEGER NOT NULL REFERENCES systems(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    PRIMARY KEY (system_id, asset_id)
);

-- One imported list: the accounts of a system (`system_id` set) or the staff roster
-- (`system_id` NULL, kind 'staff'). Never changed; the latest per system is current.
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL CHECK (kind IN ('accounts', 'staff')),
    system_id INTEGER REFERENCES systems(id),
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE INDEX snapshots_org ON snapshots(org_id, kind, system_id, id);

CREATE TABLE snapshot_accounts (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    account_id TEXT NOT NULL,
    name TEXT,
    staff_id TEXT,
    role TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    last_login TEXT,
    mfa INTEGER,
    password_changed TEXT,
    PRIMARY KEY (snapshot_id, account_id)
);

CREATE TABLE snapshot_staff (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    staff_id TEXT NOT NULL,
    name TEXT NOT NULL,
    job TEXT NOT NULL,
    department TEXT,
    hired TEXT,
    retired TEXT,
    PRIMARY KEY (snapshot_id, staff_id)
);

-- The access policy: which 職種 may hold which 権限 in a system (`role` '*' = any), which
-- 権限 are 管理者権限, and the named owner of a shared or administrator account.
CREATE TABLE policy_allowed (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    job TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (system_id, job, role)
);
CREATE TABLE policy_admin_roles (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    role TEXT NOT NULL,
    PRIMARY KEY (system_id, role)
);
CREATE TABLE policy_owners (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    account_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (system_id, account_id)
);

-- When a vendor or maintenance account may be enabled (YYYY-MM-DD, inclusive).
CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    account_id TEXT NOT NULL,
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL
);

-- 棚卸: the month's account review of a system, signed off (evidence for 2-(4)/2-(5)).
CREATE TABLE account_reviews (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    month TEXT NOT NULL,
    snapshot_id INTEGER REFERENCES snapshots(id),
    open_findings INTEGER NOT NULL,
    signed_by TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    note TEXT,
    UNIQUE (system_id, month)
);
