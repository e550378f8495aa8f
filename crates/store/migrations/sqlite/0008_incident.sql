-- Incident readiness: the 連絡体制図 (contacts), the incident register with its timeline
-- and notifications, backup jobs, restore procedures and drills per system, and the cyber
-- BCP in versions (checklist 3-(1), 3-(2), 3-(3)).

-- One entry of the 連絡体制図. `role` is the rules' code (`administrator`, `csirt`,
-- `vendor:<name>`, `mhlw`, …); `escalation_order` 1 = called first.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT,
    phone TEXT,
    email TEXT,
    hours TEXT,
    escalation_order INTEGER,
    note TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_org ON contacts(org_id, role);

-- インシデント台帳: one incident from 疑い to 終結, with what the reporting rules need
-- (the flags of `IncidentKind`) and the nine fields of the PPC 漏えい等報告.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('suspected', 'confirmed', 'contained', 'recovering', 'closed')),
    discovered_at INTEGER NOT NULL,
    occurred_at INTEGER,
    personal_data_leak INTEGER NOT NULL,
    sensitive_data INTEGER NOT NULL,
    financial_harm_risk INTEGER NOT NULL,
    malicious INTEGER NOT NULL,
    people_affected INTEGER,
    public_sector INTEGER NOT NULL,
    encrypted INTEGER NOT NULL,
    cyber_attack INTEGER NOT NULL,
    care_impact TEXT,
    summary TEXT,
    data_items TEXT,
    cause TEXT,
    secondary_damage TEXT,
    subject_response TEXT,
    publication TEXT,
    prevention TEXT,
    other_notes TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX incidents_org ON incidents(org_id, discovered_at);

-- The timeline: actions taken and status changes, at the time they happened.
CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events(incident_id, at);

-- Who was notified when: `body` is the ReportBody code (ppc, mhlw, police, ipa,
-- data_subjects) or `vendor`/`other`, `what` the ReportKind code.
CREATE TABLE incident_notifications (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    body TEXT NOT NULL,
    what TEXT NOT NULL,
    notified_at INTEGER NOT NULL,
    by_whom TEXT NOT NULL,
    method TEXT,
    note TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX incident_notifications_incident ON incident_notifications(incident_id, notified_at);

-- A backup job of a system (systems from 0007). `last_success` YYYY-MM-DD.
CREATE TABLE backup_jobs (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    method TEXT NOT NULL,
    generations INTEGER NOT NULL,
    offline INTEGER NOT NULL,
    location TEXT,
    frequency_days INTEGER NOT NULL,
    last_success TEXT,
    note TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX backup_jobs_org ON backup_jobs(org_id, system_id);

-- Per system: whether it needs backups (a VPN appliance may not) and its written
-- restore procedure (復旧手順).
CREATE TABLE backup_systems (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    needed INTEGER NOT NULL,
    reason TEXT,
    restore_procedure TEXT,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (system_id)
);

-- 復旧訓練（リストアテスト）. `drill_date` YYYY-MM-DD.
CREATE TABLE restore_drills (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    system_id INTEGER NOT NULL REFERENCES systems(id),
    drill_date TEXT NOT NULL,
    ok INTEGER NOT NULL,
    minutes INTEGER,
    note TEXT,
    recorded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX restore_drills_org ON restore_drills(org_id, system_id, drill_date);

-- The cyber BCP, one row per version; `plan` is the JSON of core's `BcpPlan`. A version
-- is edited while a draft; approval freezes it (a change makes the next version).
CREATE TABLE bcp_versions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    version INTEGER NOT NULL,
    plan TEXT NOT NULL,
    approved_by TEXT,
    approved_on TEXT,
    next_review TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, version)
);
