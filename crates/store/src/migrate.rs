//! Embedded migrations, one SQL file per step and backend, run at start-up in order.
//! Shipped migrations are never edited: add a new numbered file instead.

use crate::{Backend, Conn, StoreError, now_us, params};

struct Migration {
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        name: "0002_ledger",
        sqlite: include_str!("../migrations/sqlite/0002_ledger.sql"),
        postgres: include_str!("../migrations/postgres/0002_ledger.sql"),
    },
    Migration {
        name: "0003_webauthn",
        sqlite: include_str!("../migrations/sqlite/0003_webauthn.sql"),
        postgres: include_str!("../migrations/postgres/0003_webauthn.sql"),
    },
    Migration {
        name: "0004_assessments",
        sqlite: include_str!("../migrations/sqlite/0004_assessments.sql"),
        postgres: include_str!("../migrations/postgres/0004_assessments.sql"),
    },
    Migration {
        name: "0005_checklist_evidence",
        sqlite: include_str!("../migrations/sqlite/0005_checklist_evidence.sql"),
        postgres: include_str!("../migrations/postgres/0005_checklist_evidence.sql"),
    },
    Migration {
        name: "0006_assets_findings",
        sqlite: include_str!("../migrations/sqlite/0006_assets_findings.sql"),
        postgres: include_str!("../migrations/postgres/0006_assets_findings.sql"),
    },
    Migration {
        name: "0007_accounts",
        sqlite: include_str!("../migrations/sqlite/0007_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0007_accounts.sql"),
    },
    Migration {
        name: "0008_incident",
        sqlite: include_str!("../migrations/sqlite/0008_incident.sql"),
        postgres: include_str!("../migrations/postgres/0008_incident.sql"),
    },
    Migration {
        name: "0009_access_log",
        sqlite: include_str!("../migrations/sqlite/0009_access_log.sql"),
        postgres: include_str!("../migrations/postgres/0009_access_log.sql"),
    },
    Migration {
        name: "0010_vendors",
        sqlite: include_str!("../migrations/sqlite/0010_vendors.sql"),
        postgres: include_str!("../migrations/postgres/0010_vendors.sql"),
    },
    Migration {
        name: "0011_directory_sources",
        sqlite: include_str!("../migrations/sqlite/0011_directory_sources.sql"),
        postgres: include_str!("../migrations/postgres/0011_directory_sources.sql"),
    },
    Migration {
        name: "0012_governance",
        sqlite: include_str!("../migrations/sqlite/0012_governance.sql"),
        postgres: include_str!("../migrations/postgres/0012_governance.sql"),
    },
    Migration {
        name: "0014_access_monitoring",
        sqlite: include_str!("../migrations/sqlite/0014_access_monitoring.sql"),
        postgres: include_str!("../migrations/postgres/0014_access_monitoring.sql"),
    },
    Migration {
        name: "0015_access_posting_blocks",
        sqlite: include_str!("../migrations/sqlite/0015_access_posting_blocks.sql"),
        postgres: include_str!("../migrations/postgres/0015_access_posting_blocks.sql"),
    },
    Migration {
        name: "0016_gl2_applicability",
        sqlite: include_str!("../migrations/sqlite/0016_gl2_applicability.sql"),
        postgres: include_str!("../migrations/postgres/0016_gl2_applicability.sql"),
    },
    Migration {
        name: "0017_access_event_ids",
        sqlite: include_str!("../migrations/sqlite/0017_access_event_ids.sql"),
        postgres: include_str!("../migrations/postgres/0017_access_event_ids.sql"),
    },
];

pub(crate) fn run(conn: &mut Conn) -> Result<(), StoreError> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    for m in MIGRATIONS {
        let backend = conn.backend();
        conn.transaction(|c| -> Result<(), StoreError> {
            // Several processes may start at once on PostgreSQL: serialise migrations.
            if backend == Backend::Postgres {
                c.batch("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")?;
            }
            let done = c
                .query_opt(
                    "SELECT name FROM schema_migrations WHERE name = $1",
                    params![m.name],
                )?
                .is_some();
            if done {
                return Ok(());
            }
            let sql = match backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            c.batch(sql).map_err(|e| StoreError::Migration {
                name: m.name.to_owned(),
                reason: e.to_string(),
            })?;
            c.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
                params![m.name, now_us()],
            )?;
            Ok(())
        })?;
    }
    Ok(())
}
