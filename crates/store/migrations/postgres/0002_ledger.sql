CREATE TABLE ledger_placeholder (org_id BIGINT NOT NULL, idx BIGINT NOT NULL, time_us BIGINT NOT NULL, author TEXT NOT NULL, kind TEXT NOT NULL, payload BYTEA NOT NULL, PRIMARY KEY (org_id, idx));
