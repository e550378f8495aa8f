-- アクセスログの監視 (checklist 2-(6)): per-organisation monitoring settings and the
-- monthly 監査 report signed off by the 安全管理責任者.

-- Settings as one JSON document (business hours per weekday, holidays, thresholds, the
-- VIP / staff-as-patient lists, registered terminals); no row = the defaults.
CREATE TABLE access_monitoring (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    settings TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A month's 監査 report as signed: the counts and findings shown (JSON), the ledger
-- checkpoint at month end, the comment, who signed and when. One per month.
CREATE TABLE access_audit_reports (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    month TEXT NOT NULL,
    summary TEXT NOT NULL,
    checkpoint TEXT,
    note TEXT,
    signed_by TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    UNIQUE (org_id, month)
);
