-- Annual self-assessments of the サイバーセキュリティ対策チェックリスト, per organisation and
-- 年度 (several per year allowed). Times are microseconds since the Unix epoch (UTC); dates
-- the user enters are TEXT YYYY-MM-DD.

-- One assessment of one form (medical | vendor | pharmacy) answered against the catalog
-- edition in force (`edition_fy`). `status` is draft until completed; a completed
-- assessment is frozen: its answers are hashed (`frozen_hash`, SHA-256 hex of the canonical
-- JSON) and appended to the organisation's ledger, and no longer change.
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    fiscal_year INTEGER NOT NULL,
    form TEXT NOT NULL,
    edition_fy INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'completed')),
    source_assessment_id INTEGER REFERENCES assessments(id),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    completed_by TEXT,
    frozen_hash TEXT
);
CREATE INDEX assessments_org_year ON assessments(org_id, fiscal_year, form);

-- One row per catalog item of the assessment, created with the assessment (`position` is
-- the printed order). `answer` is yes | no | na, NULL while unanswered.
CREATE TABLE assessment_answers (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    item_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    answer TEXT CHECK (answer IN ('yes', 'no', 'na')),
    checked_on TEXT,
    target_date TEXT,
    note TEXT,
    updated_at INTEGER NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (assessment_id, item_id)
);
