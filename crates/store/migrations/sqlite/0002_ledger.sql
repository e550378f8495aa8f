CREATE TABLE ledger_placeholder (org_id INTEGER NOT NULL, idx INTEGER NOT NULL, time_us INTEGER NOT NULL, author TEXT NOT NULL, kind TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (org_id, idx));
