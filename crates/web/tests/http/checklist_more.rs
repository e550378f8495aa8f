//! The checklist beyond answering, over HTTP on every backend: evidence files (versions,
//! download, withdrawal, frozen with the answers), the overview, per-item and print views,
//! the 事業者確認用 form requested from a vendor organisation and answered per client, and
//! a new edition imported from a workbook (our own xlsx export, re-read as the next 年度).

use anzen_catalog::{Catalog, Edition, Form};
use anzen_core::{OrgKind, Role};
use anzen_store::assessments;
use anzen_store::orgs::{self, OrgProfile};
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};
use sha2::{Digest, Sha256};

use crate::common::*;

const FY: &str = "2025";
const LEDGER_ITEM: &str = "R7/medical/2-①";

async fn upload(
    b: &Browser,
    org: i64,
    item: &str,
    name: &str,
    body: Vec<u8>,
    extra: &[(&str, String)],
) -> reqwest::Response {
    let mut form = Multipart::new()
        .text("csrf", b.csrf.clone())
        .text("fy", FY)
        .text("item", item.to_owned())
        .part(
            "file",
            Part::bytes(body)
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .expect("mime"),
        );
    for (k, v) in extra {
        form = form.text((*k).to_owned(), v.clone());
    }
    b.client
        .post(b.url(&format!("/o/{org}/checklist/evidence")))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

fn hex_sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

async fn evidence_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let page = format!("/o/{a}/checklist?fy={FY}");
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let res = staff
        .post(&format!("/o/{a}/checklist/start"), &[("fy", FY)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");

    // Two versions of one file, then the same name is version 2.
    let v1 = b"%PDF-1.4 ledger v1".to_vec();
    let v2 = b"%PDF-1.4 ledger v2".to_vec();
    let res = upload(&staff, a, LEDGER_ITEM, "資産台帳.pdf", v1.clone(), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] upload");
    assert!(location(&res).contains("#item-"), "[{be}]");
    let res = upload(&staff, a, LEDGER_ITEM, "資産台帳.pdf", v2.clone(), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] upload v2");
    let (_, html) = staff.text(&page).await;
    assert!(html.contains("資産台帳.pdf</a> 第1版"), "[{be}] {html}");
    assert!(html.contains("資産台帳.pdf</a> 第2版"), "[{be}]");
    assert!(html.contains(&hex_sha(&v2)[..12]), "[{be}] hash prefix");
    // Empty file, unknown item, no file: refused in Japanese.
    let res = upload(&staff, a, LEDGER_ITEM, "空.pdf", Vec::new(), &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert!(res.text().await.expect("body").contains("空です"), "[{be}]");
    let res = upload(&staff, a, "R7/medical/9-⑨", "x.pdf", b"x".to_vec(), &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    // Download: the bytes, as an attachment with the UTF-8 name; other organisations: 404.
    let mut ids: Vec<i64> = html
        .match_indices(&format!("/o/{a}/checklist/evidence/"))
        .filter_map(|(i, m)| {
            html[i + m.len()..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse().ok())
        })
        .collect();
    ids.dedup();
    let (first, second) = (ids[0], ids[1]);
    let res = staff
        .get(&format!("/o/{a}/checklist/evidence/{second}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let cd = res.headers()[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .expect("cd")
        .to_owned();
    assert!(cd.starts_with("attachment;"), "[{be}] {cd}");
    assert!(cd.contains("UTF-8''%E8%B3%87"), "[{be}] {cd}");
    assert_eq!(res.bytes().await.expect("body").to_vec(), v2, "[{be}]");
    let b_admin = app.sign_in(&s.b_admin).await;
    let res = b_admin
        .get(&format!("/o/{a}/checklist/evidence/{second}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}] other org");
    let b = s.b.id.0;
    let res = b_admin
        .get(&format!("/o/{b}/checklist/evidence/{second}"))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "[{be}] id of another org"
    );

    // Withdraw v1: needs a reason, keeps the file.
    let res = staff
        .post(
            &format!("/o/{a}/checklist/evidence/{first}/withdraw"),
            &[("fy", FY), ("reason", " ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    let res = staff
        .post(
            &format!("/o/{a}/checklist/evidence/{first}/withdraw"),
            &[("fy", FY), ("reason", "旧版のため")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = staff.text(&page).await;
    assert!(html.contains("取り下げ（理由: 旧版のため）"), "[{be}]");
    let res = staff
        .get(&format!("/o/{a}/checklist/evidence/{first}"))
        .await;
    assert_eq!(res.bytes().await.expect("kept").to_vec(), v1, "[{be}]");

    // Views.
    let (st, html) = staff
        .text(&format!("/o/{a}/checklist/overview?fy={FY}"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("対応期限別の進捗"), "[{be}]");
    assert!(html.contains("<td>令和5年度中</td>"), "[{be}] {html}");
    assert!(html.contains("令和6年度からの変化"), "[{be}]");
    assert!(
        html.contains("令和6年度のチェックリストが無いため"),
        "[{be}]"
    );
    let (st, html) = staff
        .text(&format!(
            "/o/{a}/checklist/item?fy={FY}&id={}",
            LEDGER_ITEM.replace('/', "%2F")
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        html.contains("サーバ、端末PC、ネットワーク機器の台帳管理を行っている。"),
        "[{be}]"
    );
    assert!(html.contains("資産台帳.pdf"), "[{be}]");
    assert!(
        html.contains(&hex_sha(&v2)),
        "[{be}] full hash on the item page"
    );
    let (st, html) = staff.text(&format!("/o/{a}/checklist/print?fy={FY}")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        html.contains("資産台帳.pdf（第2版"),
        "[{be}] current evidence printed"
    );
    assert!(
        !html.contains("資産台帳.pdf（第1版"),
        "[{be}] withdrawn not printed"
    );

    // The ledger holds every upload and the withdrawal; completion freezes the evidence.
    let entries = app.ledger(s.a.id).await;
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.kind == "evidence.attach")
            .count(),
        2,
        "[{be}]"
    );
    assert!(
        entries.iter().any(|e| e.kind == "evidence.withdraw"),
        "[{be}]"
    );
    let org_a = s.a.clone();
    let (cur, check) = app
        .db(move |c| {
            let cur = assessments::current(c, &org_a, 2025, "medical")?.expect("assessment");
            let files = anzen_store::evidence::list(c, &cur)?;
            Ok::<_, anzen_store::StoreError>((cur, files))
        })
        .await;
    assert_eq!(check.len(), 2, "[{be}]");
    assert!(!cur.is_completed(), "[{be}]");
    // Too large for the route: refused before it is stored (last: the server closes the
    // connection without reading the rest of the body).
    let res = upload(
        &staff,
        a,
        LEDGER_ITEM,
        "big.pdf",
        vec![0u8; 21 * 1024 * 1024],
        &[],
    )
    .await;
    assert!(
        res.status() == StatusCode::PAYLOAD_TOO_LARGE || res.status() == StatusCode::BAD_REQUEST,
        "[{be}] {}",
        res.status()
    );
}

#[test]
fn evidence_views_and_print() {
    run(test_config(), evidence_body);
}

async fn vendor_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    // A vendor organisation on the same server; A's admin is also its member.
    let admin = s.a_user(Role::Admin).clone();
    let admin_id = admin.id;
    let v = app
        .db(move |c| {
            let v = orgs::create(c, &OrgProfile::new("電カル株式会社", OrgKind::SystemVendor))?;
            orgs::add_member(c, v.id, admin_id, Role::Admin)?;
            Ok::<_, anzen_store::StoreError>(v)
        })
        .await;
    let vid = v.id.0;
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let (_, html) = officer
        .text(&format!("/o/{a}/checklist/vendors?fy={FY}"))
        .await;
    assert!(html.contains("電カル株式会社"), "[{be}] vendor offered");
    let res = officer
        .post(
            &format!("/o/{a}/checklist/vendors/request"),
            &[
                ("fy", FY),
                ("vendor", &vid.to_string()),
                ("message", "よろしくお願いします"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] request");
    let (_, html) = officer
        .text(&format!("/o/{a}/checklist/vendors?fy={FY}"))
        .await;
    assert!(
        html.contains("<span class=\"vendor-status\">未着手</span>"),
        "[{be}] {html}"
    );

    // The vendor sees the client, answers its form for it.
    let vendor = app.sign_in(&admin).await;
    let (_, html) = vendor
        .text(&format!("/o/{vid}/checklist/vendors?fy={FY}"))
        .await;
    assert!(html.contains(&format!("client={a}")), "[{be}] {html}");
    let client = a.to_string();
    let res = vendor
        .post(
            &format!("/o/{vid}/checklist/start"),
            &[("fy", FY), ("client", &client)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    assert!(location(&res).ends_with(&format!("client={a}")), "[{be}]");
    let (_, html) = vendor
        .text(&format!("/o/{vid}/checklist?fy={FY}&client={a}"))
        .await;
    assert!(html.contains("事業者確認用"), "[{be}]");
    assert!(html.contains("id=\"checklist-client\">"), "[{be}]");
    let item = between(&html, "name=\"item\" value=\"", "\"")
        .expect("an item")
        .to_owned();
    assert!(item.starts_with("R7/vendor/"), "[{be}] {item}");
    let res = vendor
        .post(
            &format!("/o/{vid}/checklist/answer"),
            &[
                ("fy", FY),
                ("client", &client),
                ("item", &item),
                ("answer", "yes"),
                ("checked_on", "2025-05-10"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] vendor answer");
    // No request from B: the vendor cannot answer for it.
    let res = vendor
        .get(&format!("/o/{vid}/checklist?fy={FY}&client={}", s.b.id.0))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    // The vendor's own form is untouched.
    let (_, html) = vendor.text(&format!("/o/{vid}/checklist?fy={FY}")).await;
    assert!(html.contains("id=\"checklist-empty\""), "[{be}]");

    // The facility sees the answer beside its own, and in the print view.
    let (_, html) = officer
        .text(&format!("/o/{a}/checklist/vendors?fy={FY}"))
        .await;
    assert!(
        html.contains("<span class=\"vendor-status\">回答中</span>"),
        "[{be}]"
    );
    assert!(
        html.contains("<td class=\"vendor-answer\">はい</td>"),
        "[{be}]"
    );
    let res = officer
        .post(&format!("/o/{a}/checklist/start"), &[("fy", FY)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = officer
        .text(&format!("/o/{a}/checklist/print?fy={FY}"))
        .await;
    assert!(html.contains("事業者確認用 — 電カル株式会社"), "[{be}]");
    // The xlsx carries the vendor's form as its own sheet (both forms are inspected).
    {
        use calamine::{Data, Reader, Xlsx};
        let bytes = officer
            .get(&format!("/o/{a}/checklist/export.xlsx?fy={FY}"))
            .await
            .bytes()
            .await
            .expect("xlsx");
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        assert_eq!(
            wb.sheet_names(),
            vec![
                "チェックリスト".to_owned(),
                "事業者確認用 1 電カル株式会社".to_owned()
            ],
            "[{be}]"
        );
        let range = wb
            .worksheet_range("事業者確認用 1 電カル株式会社")
            .expect("sheet");
        let text = |r: u32, c: u32| match range.get_value((r, c)) {
            Some(Data::String(s)) => s.clone(),
            _ => String::new(),
        };
        assert!(
            text(0, 0).ends_with("（事業者確認用）"),
            "[{be}] {}",
            text(0, 0)
        );
        assert!(text(1, 0).starts_with("事業者名: 電カル株式会社"), "[{be}]");
        let height = u32::try_from(range.height()).expect("rows");
        let answered = (4..height).any(|r| text(r, 3) == "はい" && text(r, 4) == "2025-05-10");
        assert!(answered, "[{be}] the vendor's answer is in its sheet");
    }
    // B cannot read A's vendor page.
    let b_admin = app.sign_in(&s.b_admin).await;
    assert_eq!(
        b_admin
            .get(&format!("/o/{a}/checklist/vendors?fy={FY}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
    for org in [s.a.id, v.id] {
        assert!(
            app.ledger(org)
                .await
                .iter()
                .any(|e| e.kind.starts_with("vendor_form.request")),
            "[{be}]"
        );
    }
}

#[test]
fn vendor_form_requested_and_answered_per_client() {
    run(test_config(), vendor_body);
}

/// A workbook in the official form's layout (title, a two-row header, section and 《…》
/// headings, one row per item with its 整備期限) holding `edition`'s items, with `changed`
/// replacing the first item's wording.
fn official_workbook(edition: &Edition, changed: Option<&str>) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("チェックリスト").expect("name");
    let w = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, s: &str| {
        ws.write_string(r, c, s).expect("cell");
    };
    w(
        ws,
        0,
        0,
        "医療機関におけるサイバーセキュリティ対策チェックリスト",
    );
    w(ws, 1, 0, "医療機関確認用");
    for (c, h) in ["番号", "チェック項目", "整備期限", "1回目"]
        .iter()
        .enumerate()
    {
        w(ws, 3, u16::try_from(c).expect("col"), h);
    }
    w(ws, 4, 3, "はい・いいえ");
    w(ws, 4, 4, "確認日");
    let mut r = 5;
    let (mut group, mut sub) = (None, None);
    for (n, item) in edition.items.iter().enumerate() {
        if group != Some(item.group) {
            w(
                ws,
                r,
                0,
                &format!("{}．{}", item.group.section(), item.group.label_ja()),
            );
            r += 1;
            group = Some(item.group);
            sub = None;
        }
        if item.subgroup.is_some() && sub != item.subgroup {
            let label = item.subgroup.map_or("", |s| s.label_ja());
            w(ws, r, 0, &format!("《{label}》"));
            r += 1;
            sub = item.subgroup;
        }
        w(ws, r, 0, &item.number);
        let text = match changed {
            Some(t) if n == 0 => t,
            _ => item.text.as_str(),
        };
        w(ws, r, 1, text);
        if let Some(y) = item.required_by_fy {
            w(ws, r, 2, &format!("令和{}年度中", y - 2018));
        }
        r += 1;
    }
    wb.save_to_buffer().expect("xlsx")
}

async fn import_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let cat = Catalog::builtin().expect("catalog");
    let r7 = cat.edition(2025, Form::Medical).expect("R7");
    let changed = "医療情報システム安全管理責任者を設置し、職務を定めている。";
    let xlsx = official_workbook(r7, Some(changed));
    let post = |fy: &'static str, body: Vec<u8>, name: &'static str| {
        let officer = officer.clone();
        async move {
            let form = Multipart::new()
                .text("csrf", officer.csrf.clone())
                .text("fy", fy)
                .text("form", "medical")
                .part("file", Part::bytes(body).file_name(name));
            officer
                .client
                .post(officer.url(&format!("/o/{a}/checklist/import")))
                .multipart(form)
                .send()
                .await
                .expect("upload")
        }
    };
    // Not an xlsx: a clear error naming the file.
    let res = post("2026", b"not a workbook".to_vec(), "bad.xlsx").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text().await.expect("body").contains("bad.xlsx"),
        "[{be}]"
    );
    // An edition that exists already is refused at the preview.
    let res = post("2025", xlsx.clone(), "r7.xlsx").await;
    let html = res.text().await.expect("body");
    assert!(html.contains("すでにあります"), "[{be}] {html}");
    assert!(!html.contains("id=\"import-confirm\""), "[{be}]");

    let res = post("2026", xlsx.clone(), "r8.xlsx").await;
    let html = res.text().await.expect("body");
    assert!(html.contains("id=\"import-summary\""), "[{be}] {html}");
    assert!(html.contains("追加 0・削除 0・文言変更 1"), "[{be}] {html}");
    assert!(
        html.contains(changed),
        "[{be}] the changed wording is previewed"
    );
    let field = |name: &str| {
        between(
            &html,
            &format!("type=\"hidden\" name=\"{name}\" value=\""),
            "\"",
        )
        .unwrap_or_default()
        .to_owned()
    };
    let fields: Vec<(String, String)> = [
        "token",
        "sheet",
        "first_data_row",
        "number",
        "text",
        "target",
        "due",
        "references",
    ]
    .iter()
    .map(|n| ((*n).to_owned(), field(n)))
    .collect();
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Nothing stored before the confirmation.
    assert!(
        !app.ledger(s.a.id)
            .await
            .iter()
            .any(|e| e.kind == "catalog.import"),
        "[{be}]"
    );
    let res = officer
        .post(&format!("/o/{a}/checklist/import/confirm"), &refs)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] confirm");
    assert!(location(&res).contains("fy=2026"), "[{be}]");
    let (_, html) = officer.text(&format!("/o/{a}/checklist?fy=2026")).await;
    assert!(
        html.contains("令和8年度版"),
        "[{be}] the imported edition is in force: {html}"
    );
    assert!(
        app.ledger(s.a.id)
            .await
            .iter()
            .any(|e| e.kind == "catalog.import"),
        "[{be}]"
    );
    // The token is spent; B does not get A's edition.
    let res = officer
        .post(&format!("/o/{a}/checklist/import/confirm"), &refs)
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    let b_admin = app.sign_in(&s.b_admin).await;
    let (_, html) = b_admin
        .text(&format!("/o/{}/checklist?fy=2026", s.b.id.0))
        .await;
    assert!(!html.contains("令和8年度版"), "[{be}]");
    // Staff may not import.
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    assert_eq!(
        staff
            .get(&format!("/o/{a}/checklist/import"))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "[{be}]"
    );
}

#[test]
fn edition_imported_from_a_workbook() {
    run(test_config(), import_body);
}
