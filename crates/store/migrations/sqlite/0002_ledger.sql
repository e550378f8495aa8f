-- The tamper-evident ledger (one per organisation). See crates/ledger and
-- crates/store/src/ledger.rs. Rows are canonical entry bytes; the tree is recomputed from
-- them, so these tables hold no trust of their own: verification needs only the entries,
-- the signed checkpoints and the public key.
CREATE TABLE ledger_entries (
    org_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (org_id, idx)
) WITHOUT ROWID;

-- Roots of aligned perfect subtrees at levels 8, 16, 24, … (tlog-tiles idea): proofs read
-- them instead of rehashing millions of entries.
CREATE TABLE ledger_nodes (
    org_id INTEGER NOT NULL,
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (org_id, level, idx)
) WITHOUT ROWID;

-- The head: size, the right edge of the tree (frontier) and the last leaf hash, so an
-- append is O(log n) and needs no in-memory state (several processes may append).
CREATE TABLE ledger_heads (
    org_id INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    frontier BLOB NOT NULL,
    last_leaf BLOB NOT NULL,
    origin TEXT,
    checkpointed_size INTEGER NOT NULL DEFAULT 0,
    checkpointed_at INTEGER NOT NULL DEFAULT 0
);

-- Signed checkpoints (C2SP signed notes), chained by the hash of the previous note.
CREATE TABLE ledger_checkpoints (
    org_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    size INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, seq)
);

-- Results of `anzen verify`, shown on the audit page.
CREATE TABLE ledger_verifications (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    verified_at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX ledger_verifications_org ON ledger_verifications(org_id, verified_at);
