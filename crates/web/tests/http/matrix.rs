//! Role matrix: for every page, form and API endpoint, which roles succeed and which get
//! 403 — the expectation is computed from `Role::can`, so the matrix is exhaustive.

use std::fmt::Write as _;

use anzen_core::{Action, Role};
use anzen_store::tokens;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

/// What a role needs for one endpoint: an action of the permission table, optionally an
/// API scope, and whether vendors are additionally refused (the endpoint shows facility
/// data, which vendors only see when it is shared with them).
#[derive(Clone, Copy)]
struct Rule {
    action: Option<Action>,
    not_vendor: bool,
    /// For API calls: the token carries the scope the endpoint needs.
    scope_ok: bool,
}

impl Rule {
    fn allows(&self, role: Role) -> bool {
        self.scope_ok
            && self.action.is_none_or(|a| role.can(a))
            && !(self.not_vendor && role == Role::Vendor)
    }

    fn with_scope(self, scope_ok: bool) -> Rule {
        Rule { scope_ok, ..self }
    }
}

fn needs(action: Action) -> Rule {
    Rule {
        action: Some(action),
        not_vendor: false,
        scope_ok: true,
    }
}

fn needs_not_vendor(action: Action) -> Rule {
    Rule {
        not_vendor: true,
        ..needs(action)
    }
}

/// Any member may (e.g. revoke their own token).
fn any_member() -> Rule {
    Rule {
        action: None,
        not_vendor: false,
        scope_ok: true,
    }
}

struct Row {
    endpoint: String,
    role: Role,
    expected: bool,
    status: StatusCode,
    ok: bool,
}

#[derive(Default)]
struct Matrix {
    rows: Vec<Row>,
}

impl Matrix {
    fn check(
        &mut self,
        endpoint: &str,
        role: Role,
        rule: &Rule,
        status: StatusCode,
        success: StatusCode,
    ) {
        let expected = rule.allows(role);
        let ok = if expected {
            status == success
        } else {
            status == StatusCode::FORBIDDEN
        };
        self.rows.push(Row {
            endpoint: endpoint.to_owned(),
            role,
            expected,
            status,
            ok,
        });
    }

    fn assert(&self, backend: &str) {
        assert!(
            self.rows.iter().any(|r| r.expected) && self.rows.iter().any(|r| !r.expected),
            "a matrix with only one outcome proves nothing"
        );
        if self.rows.iter().all(|r| r.ok) {
            return;
        }
        let mut t = format!("role matrix mismatch on {backend}:\n");
        let _ = writeln!(
            t,
            "{:<48} {:<17} {:<9} {:<6} result",
            "endpoint", "role", "expected", "got"
        );
        for r in &self.rows {
            let _ = writeln!(
                t,
                "{:<48} {:<17} {:<9} {:<6} {}",
                r.endpoint,
                r.role.code(),
                if r.expected { "allow" } else { "403" },
                r.status.as_u16(),
                if r.ok { "ok" } else { "MISMATCH" }
            );
        }
        panic!("{t}");
    }
}

async fn role_matrix_body(app: App) {
    let a = app.seed.a.id.0;
    let target = app.seed.a_target.id.0;
    let mut m = Matrix::default();
    let mut browsers = Vec::new();
    for role in Role::ALL {
        browsers.push((role, app.sign_in(app.seed.a_user(role)).await));
    }

    // Pages (GET).
    let pages: [(String, Rule); 7] = [
        (format!("/o/{a}/"), needs(Action::ViewOrg)),
        (format!("/o/{a}/profile"), needs_not_vendor(Action::ViewOrg)),
        (format!("/o/{a}/users"), needs(Action::ManageUsers)),
        (format!("/o/{a}/audit"), needs(Action::ReadAudit)),
        (format!("/o/{a}/vendors"), needs(Action::ReadRecords)),
        (format!("/o/{a}/vendors/matrix"), needs(Action::ReadRecords)),
        (format!("/o/{a}/vendors/export.xlsx"), needs(Action::Export)),
    ];
    for (path, rule) in &pages {
        for (role, b) in &browsers {
            let st = b.get(path).await.status();
            m.check(&format!("GET {path}"), *role, rule, st, StatusCode::OK);
        }
    }

    // Forms (POST with a valid CSRF token).
    for (role, b) in &browsers {
        let vendor = format!("事業者（{}）", role.code());
        let st = b
            .post(&format!("/o/{a}/vendors"), &[("name", vendor.as_str())])
            .await
            .status();
        m.check(
            "POST /o/{A}/vendors",
            *role,
            &needs(Action::EditRecords),
            st,
            StatusCode::SEE_OTHER,
        );
        let name = format!("{A_NAME}（{}）", role.code());
        let form = profile_form(&name);
        let st = b
            .post(&format!("/o/{a}/profile"), &as_refs(&form))
            .await
            .status();
        m.check(
            "POST /o/{A}/profile",
            *role,
            &needs(Action::EditOrgProfile),
            st,
            StatusCode::OK,
        );

        let email = format!("new-by-{}@a-anzen.example.jp", role.code());
        let st = b
            .post(
                &format!("/o/{a}/users"),
                &[
                    ("email", email.as_str()),
                    ("name", "新規 利用者"),
                    ("role", "staff"),
                ],
            )
            .await
            .status();
        m.check(
            "POST /o/{A}/users",
            *role,
            &needs(Action::ManageUsers),
            st,
            StatusCode::OK,
        );

        let st = b
            .post(
                &format!("/o/{a}/users/{target}/role"),
                &[("role", "auditor")],
            )
            .await
            .status();
        m.check(
            "POST /o/{A}/users/{id}/role",
            *role,
            &needs(Action::ManageUsers),
            st,
            StatusCode::OK,
        );

        let st = b
            .post(&format!("/o/{a}/users/{target}/reset"), &[])
            .await
            .status();
        m.check(
            "POST /o/{A}/users/{id}/reset",
            *role,
            &needs(Action::ManageUsers),
            st,
            StatusCode::OK,
        );

        let st = b
            .post(
                &format!("/o/{a}/tokens"),
                &[("name", "matrix"), ("days", "30"), ("write", "1")],
            )
            .await
            .status();
        m.check(
            "POST /o/{A}/tokens",
            *role,
            &needs(Action::UseApi),
            st,
            StatusCode::OK,
        );

        // Revoking one's own token needs no permission beyond membership.
        let uid = app.seed.a_user(*role).id;
        let (tid, _) = app.token(uid, app.seed.a.id, &["read"], in_a_day()).await;
        let st = b
            .post(&format!("/o/{a}/tokens/{tid}/revoke"), &[])
            .await
            .status();
        m.check(
            "POST /o/{A}/tokens/{id}/revoke (own)",
            *role,
            &any_member(),
            st,
            StatusCode::SEE_OTHER,
        );
    }
    // Removal last: it takes the target out of the organisation.
    for (role, b) in &browsers {
        let st = b
            .post(&format!("/o/{a}/users/{target}/remove"), &[])
            .await
            .status();
        m.check(
            "POST /o/{A}/users/{id}/remove",
            *role,
            &needs(Action::ManageUsers),
            st,
            StatusCode::OK,
        );
    }

    // Write scope is only granted to roles that edit records.
    for role in Role::ALL {
        let uid = app.seed.a_user(role).id;
        let org = app.seed.a.id;
        let toks = app.db(move |c| tokens::list_for_user(c, uid, org)).await;
        let created: Vec<_> = toks.iter().filter(|t| t.name == "matrix").collect();
        if role.can(Action::UseApi) {
            assert_eq!(created.len(), 1, "[{}] {role:?} token", app.backend);
            let has_write = created[0].scopes.iter().any(|s| s == "write");
            assert_eq!(
                has_write,
                role.can(Action::EditRecords),
                "[{}] {role:?}: write scope only for roles that edit records",
                app.backend
            );
        } else {
            assert!(created.is_empty(), "[{}] {role:?} got a token", app.backend);
        }
    }

    // API: every role × scope set.
    const SCOPES: [&[&str]; 3] = [&["read"], &["write"], &["read", "write"]];
    for role in Role::ALL {
        for scopes in SCOPES {
            let uid = app.seed.a_user(role).id;
            let (_, secret) = app.token(uid, app.seed.a.id, scopes, in_a_day()).await;
            let has = |s: &str| scopes.contains(&s);
            let label = format!("[{}]", scopes.join("+"));
            let mut check = |ep: &str, rule: Rule, scope: &str, st: StatusCode| {
                let rule = rule.with_scope(has(scope));
                m.check(&format!("{ep} {label}"), role, &rule, st, StatusCode::OK);
            };
            let st = app.api(Method::GET, "/org", &secret).await.status();
            check(
                "GET /api/v1/org",
                needs_not_vendor(Action::ViewOrg),
                "read",
                st,
            );
            let body = json!({ "name": format!("{A_NAME} API {}", role.code()), "kind": "clinic" });
            let st = client()
                .put(app.url("/api/v1/org"))
                .bearer_auth(&secret)
                .json(&body)
                .send()
                .await
                .expect("PUT")
                .status();
            check(
                "PUT /api/v1/org",
                needs(Action::EditOrgProfile),
                "write",
                st,
            );
            let st = app.api(Method::GET, "/members", &secret).await.status();
            check(
                "GET /api/v1/members",
                needs(Action::ReadRecords),
                "read",
                st,
            );
            let st = app.api(Method::GET, "/audit", &secret).await.status();
            check("GET /api/v1/audit", needs(Action::ReadAudit), "read", st);
        }
    }
    m.assert(app.backend);
}

#[test]
fn role_matrix_pages_forms_and_api() {
    run(test_config(), role_matrix_body);
}
