-- Access-log store (アクセスログの管理, checklist 2-(6)); see crates/accesslog.
-- Events are appended in sequence order, one row per event holding its canonical bytes
-- (crates/accesslog/FORMAT.md). Each append batch is committed to by one ledger entry
-- (`access_log.batch`, Merkle root of the batch's events), so these rows are verifiable
-- without a ledger row per event. Every other table here is an untrusted cache or index.
CREATE TABLE access_events (
    org_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ev BLOB NOT NULL,
    PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;

-- Per organisation: next sequence number, end of the indexed (closed) segments, start of
-- what retention has not pruned, and the segment id counter.
CREATE TABLE access_heads (
    org_id INTEGER PRIMARY KEY,
    next_seq INTEGER NOT NULL,
    indexed_seq INTEGER NOT NULL,
    pruned_seq INTEGER NOT NULL,
    next_segment INTEGER NOT NULL
);

-- A copy of each batch's ledger commitment (the ledger entry is the trusted one).
CREATE TABLE access_batches (
    org_id INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    end_seq INTEGER NOT NULL,
    ledger_idx INTEGER NOT NULL,
    root BLOB NOT NULL,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL,
    PRIMARY KEY (org_id, first_seq)
) WITHOUT ROWID;

-- Closed index segments: a run of sequence numbers whose postings are written sorted in
-- bulk, once (level 0), and merged 16 at a time into bigger ones (levels 1, 2).
CREATE TABLE access_segments (
    org_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    level INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    end_seq INTEGER NOT NULL,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) WITHOUT ROWID;

-- Postings of a segment: per (kind 1 = patient, 2 = user; 64-bit key hash) the sequence
-- numbers, delta-varint encoded. The segment id leads the key, so a new segment's rows are
-- appended at the end of the B-tree instead of scattered through it.
CREATE TABLE access_postings (
    org_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    key INTEGER NOT NULL,
    seqs BLOB NOT NULL,
    PRIMARY KEY (org_id, segment_id, kind, key)
) WITHOUT ROWID;

-- Imported files, by SHA-256: a file is imported once.
CREATE TABLE access_imports (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    events INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    end_seq INTEGER NOT NULL,
    UNIQUE (org_id, sha256)
);

-- Malformed lines, never dropped: where they came from and why they were refused.
CREATE TABLE access_quarantine (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    import_id INTEGER,
    origin TEXT NOT NULL,
    line INTEGER,
    column_name TEXT,
    value TEXT,
    reason TEXT NOT NULL,
    raw TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX access_quarantine_org ON access_quarantine(org_id, id);

-- Retention per organisation (default 5 years when no row).
CREATE TABLE access_retention (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    years INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Ranges removed by retention; the ledger entry `access_log.prune` is the trusted record.
CREATE TABLE access_pruned (
    org_id INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    end_seq INTEGER NOT NULL,
    cutoff_us INTEGER NOT NULL,
    pruned_at INTEGER NOT NULL,
    ledger_idx INTEGER NOT NULL,
    PRIMARY KEY (org_id, first_seq)
);
