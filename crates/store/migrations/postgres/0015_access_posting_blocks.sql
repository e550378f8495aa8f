-- Access-log postings in blocks (crates/accesslog/src/codec.rs, BlockWriter): one row per
-- block of a few KiB holding a segment's sorted posting lists of one kind, keyed by the
-- block's first key, instead of one row per (segment, key). Index maintenance drops from
-- about one B-tree insert per event and level to a dozen rows per segment.
--
-- The postings are an untrusted index: the old rows are dropped and every segment is
-- rebuilt from the event rows (the trusted data) by the next append; until then queries
-- scan the events, which gives the same answers, only slower.
DROP TABLE access_postings;
DELETE FROM access_segments;
UPDATE access_heads SET indexed_seq = pruned_seq;

CREATE TABLE access_posting_blocks (
    org_id BIGINT NOT NULL,
    segment_id BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    first_key BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (org_id, segment_id, kind, first_key)
);
