-- Governance records (運用管理): the 運用管理規程 in versions with approval and yearly
-- reviews, and the training sessions (研修) with their テキスト (content in evidence_blobs)
-- and attendees (出席者リスト).

-- One row per version; `document` is the JSON of core's `PolicyDocument`. A draft is
-- edited in place; approval freezes it (a change makes the next version).
CREATE TABLE policy_versions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    approved_by TEXT,
    approved_on TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, version)
);

-- The yearly review (見直し) of an approved version: who, when, the outcome.
CREATE TABLE policy_reviews (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    version_id INTEGER NOT NULL REFERENCES policy_versions(id),
    reviewed_on TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX policy_reviews_org ON policy_reviews(org_id, reviewed_on);

-- A training session; the テキスト is optional and kept content-addressed.
CREATE TABLE training_sessions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    instructor TEXT,
    audience TEXT,
    note TEXT,
    file_name TEXT,
    content_type TEXT,
    sha256 TEXT,
    size INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    FOREIGN KEY (org_id, sha256) REFERENCES evidence_blobs(org_id, sha256)
);
CREATE INDEX training_sessions_org ON training_sessions(org_id, held_on);

-- Attendees: a staff member of the roster (`staff_id` = 職員番号, with the name as it was)
-- or a free-text name (`staff_id` NULL) for people not on the roster.
CREATE TABLE training_attendees (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    session_id INTEGER NOT NULL REFERENCES training_sessions(id),
    staff_id TEXT,
    name TEXT NOT NULL
);
CREATE INDEX training_attendees_session ON training_attendees(session_id);
