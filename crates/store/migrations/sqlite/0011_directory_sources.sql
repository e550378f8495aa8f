-- Where an organisation reads account lists and the staff roster from LDAP / Active
-- Directory: one setting per system (its accounts) and one for the roster (`system_id`
-- NULL, scope 'staff'). `settings` is the anzen-directory configuration as TOML without the
-- password; `bind_password` is kept apart so it is never shown or audited.
CREATE TABLE directory_sources (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    scope TEXT NOT NULL,
    system_id INTEGER REFERENCES systems(id),
    settings TEXT NOT NULL,
    bind_password TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (org_id, scope)
);
