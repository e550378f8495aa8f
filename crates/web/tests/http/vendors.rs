//! 事業者管理 over HTTP on both backends: a vendor with remote maintenance, documents
//! (upload, download, withdraw), certifications, services; the responsibility matrix with
//! the 半田病院 ambiguity as a finding, its print view and the xlsx export; and the vendor's
//! own view, which shows only what the facility linked to that vendor organisation.

use anzen_core::{OrgKind, Role};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::users;
use anzen_store::vendors::{self as vs, VendorData};
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};
use totp_rs::Secret;

use crate::common::*;

async fn upload_doc(
    b: &Browser,
    path: &str,
    kind: &str,
    name: &str,
    body: &[u8],
) -> reqwest::Response {
    let form = Multipart::new()
        .text("csrf", b.csrf.clone())
        .text("kind", kind.to_owned())
        .text("form_version", "Ver.5.0")
        .text("received_on", "R8.5.1")
        .part(
            "file",
            Part::bytes(body.to_vec()).file_name(name.to_owned()),
        );
    b.client
        .post(b.url(path))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

async fn vendors_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let (st, html) = staff.text(&format!("/o/{a}/vendors")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"vendors-empty\""), "[{be}]");
    assert!(html.contains("事業者管理"), "[{be}] nav");

    let res = staff
        .post(
            &format!("/o/{a}/vendors"),
            &[("name", "東海ネットワーク"), ("contact_name", "伊藤")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] create");
    let page = location(&res);
    let vid: i64 = page
        .rsplit('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("id");
    // The same name twice is refused with a Japanese message.
    let res = staff
        .post(&format!("/o/{a}/vendors"), &[("name", "東海ネットワーク")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}] duplicate");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("すでに登録されています")
    );

    // Remote maintenance without allowed persons and logs → a 2-(2) finding.
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/add/remote"),
            &[
                ("target", "VPN装置"),
                ("method", "SSL-VPN"),
                ("logs_kept", "no"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] remote");
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains("「VPN装置」: リモートメンテナンスの確認が不足しています"),
        "[{be}] {html}"
    );
    assert!(
        html.contains("MDS/SDS（医療情報セキュリティ開示書）を受領していません"),
        "[{be}]"
    );
    // A bad date names the field.
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/add/certifications"),
            &[("kind", "isms"), ("expires_on", "来年")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert!(res.text().await.expect("body").contains("有効期限「来年」"));
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/add/certifications"),
            &[("kind", "isms"), ("expires_on", "2020-03-31")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] cert");

    // Documents: upload (和暦 date), download the same bytes, withdraw with a reason.
    let pdf = b"%PDF-1.4 mds/sds".to_vec();
    let res = upload_doc(
        &staff,
        &format!("/o/{a}/vendors/{vid}/documents"),
        "mds_sds",
        "MDS_SDS.pdf",
        &pdf,
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] upload");
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains("2026-05-01（令和8年5月1日）"),
        "[{be}] {html}"
    );
    assert!(
        !html.contains("MDS/SDS（医療情報セキュリティ開示書）を受領していません"),
        "[{be}]"
    );
    assert!(
        html.contains("ISMS（ISO/IEC 27001）の有効期限が切れています"),
        "[{be}]"
    );
    let href = between(&html, &format!("/o/{a}/vendors/{vid}/documents/"), "\"")
        .expect("doc link")
        .to_owned();
    let doc_id: i64 = href.parse().expect("doc id");
    let res = staff
        .get(&format!("/o/{a}/vendors/{vid}/documents/{doc_id}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}] download");
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), pdf);
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/documents/{doc_id}/withdraw"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}] reason");

    // Systems and the matrix: two companies responsible for the VPN's patches.
    let res = staff
        .post(
            &format!("/o/{a}/accounts/systems"),
            &[("name", "VPN"), ("kind", "ネットワーク")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] system");
    let sys: i64 = location(&res)
        .rsplit('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("system id");
    let res = staff
        .post(&format!("/o/{a}/vendors"), &[("name", "電カル社")])
        .await;
    let other: i64 = location(&res)
        .rsplit('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("id");
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/links"),
            &[("system", &sys.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] links");
    let (v1, v2) = (format!("v{vid}"), format!("v{other}"));
    let mut form: Vec<(&str, &str)> = vec![
        ("r.patching", v1.as_str()),
        ("r.patching", v2.as_str()),
        ("i.patching", "facility"),
    ];
    for d in [
        "vuln_info",
        "monitoring",
        "backup",
        "incident_response",
        "authority_reporting",
        "remote_maintenance",
        "account_management",
    ] {
        form.push(match d {
            "vuln_info" => ("r.vuln_info", "facility"),
            "monitoring" => ("r.monitoring", "facility"),
            "backup" => ("r.backup", "facility"),
            "incident_response" => ("r.incident_response", "facility"),
            "authority_reporting" => ("r.authority_reporting", "facility"),
            "remote_maintenance" => ("r.remote_maintenance", "facility"),
            _ => ("r.account_management", "facility"),
        });
    }
    let res = staff
        .post(&format!("/o/{a}/vendors/matrix/{sys}"), &form)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] matrix");
    let (st, html) = staff
        .text(&format!("/o/{a}/vendors/matrix?system={sys}"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        html.contains("VPN: 「パッチ適用」の責任者が複数います"),
        "[{be}] {html}"
    );
    // One company, not yet accepted: still a finding; the facility records the acceptance.
    let res = staff
        .post(
            &format!("/o/{a}/vendors/matrix/{sys}"),
            &form
                .iter()
                .filter(|(_, v)| *v != v2.as_str())
                .copied()
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = staff
        .text(&format!("/o/{a}/vendors/matrix?system={sys}"))
        .await;
    assert!(html.contains("の合意がありません"), "[{be}]");
    let accept = between(&html, &format!("/o/{a}/vendors/matrix/{sys}/accept/"), "\"")
        .expect("accept form")
        .to_owned();
    let res = staff
        .post(&format!("/o/{a}/vendors/matrix/{sys}/accept/{accept}"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] accept");
    let (_, html) = staff
        .text(&format!("/o/{a}/vendors/matrix?system={sys}"))
        .await;
    assert!(!html.contains("id=\"matrix-findings\""), "[{be}] {html}");
    let (st, html) = staff
        .text(&format!("/o/{a}/vendors/matrix/{sys}/print"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}] print");
    assert!(html.contains("別紙　責任分界表（VPN）"), "[{be}]");
    assert!(html.contains("東海ネットワーク（合意済み）"), "[{be}]");

    // 2-(2) and 2-(3) on the checklist read the vendor findings: the remote maintenance
    // without logs and the missing 事業者確認用 still hold.
    let res = staff
        .post(&format!("/o/{a}/checklist/start"), &[("fy", "2025")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] start");
    let (_, html) = staff.text(&format!("/o/{a}/checklist?fy=2025")).await;
    assert!(
        html.contains("事業者管理でMDS/SDS 等の開示書類、第三者認証、データの保存場所、責任分界について未解消の指摘が"),
        "[{be}] 2-(3) evidence"
    );
    assert!(
        html.contains("事業者管理でリモートメンテナンスの方法・接続者・ログ、およびその責任分界について未解消の指摘が"),
        "[{be}] 2-(2) evidence"
    );

    // The auditor reads and exports but never writes; the facility's 事業者 role sees
    // none of it.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    let res = auditor
        .post(&format!("/o/{a}/vendors"), &[("name", "監査で追加")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let res = auditor.get(&format!("/o/{a}/vendors/export.xlsx")).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}] xlsx");
    let bytes = res.bytes().await.expect("xlsx");
    {
        use calamine::{Data, Reader, Xlsx};
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        assert_eq!(
            wb.sheet_names(),
            [
                "事業者",
                "書類",
                "第三者認証",
                "サービス・保存場所",
                "リモートメンテナンス",
                "責任分界表"
            ],
            "[{be}]"
        );
        let range = wb.worksheet_range("責任分界表").expect("sheet");
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect();
        assert!(
            rows.iter().any(|r| r[0] == "VPN"
                && r[1] == "パッチ適用"
                && r[3] == "東海ネットワーク"
                && r[4].starts_with("合意済み")),
            "[{be}] {rows:?}"
        );
    }
    let vendor_role = app.sign_in(s.a_user(Role::Vendor)).await;
    let res = vendor_role.get(&format!("/o/{a}/vendors")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "vendor.create",
        "vendor.document.add",
        "vendor.matrix.set",
        "export.vendors",
    ] {
        assert!(kinds.iter().any(|x| x == k), "[{be}] {k}");
    }
}

#[test]
fn vendors_documents_matrix_print_and_export() {
    run(test_config(), vendors_body);
}

/// A user of a new organisation with a second factor.
async fn vendor_user(app: &App, org_name: &str, email: &str) -> (i64, SeedUser) {
    let (org_name, email) = (org_name.to_owned(), email.to_owned());
    app.db(move |c| {
        let o = orgs::create(c, &OrgProfile::new(&org_name, OrgKind::SystemVendor))?;
        let hash = anzen_web::hash_password(PASSWORD)
            .map_err(|e| anzen_store::StoreError::Decode(format!("hash: {e}")))?;
        let u = users::create(c, &email, "事業者 担当", &hash)?;
        let secret = Secret::generate().to_base32();
        users::set_totp(c, u.id, Some(&secret))?;
        orgs::add_member(c, o.id, u.id, Role::Admin)?;
        Ok((
            o.id.0,
            SeedUser {
                id: u.id,
                email,
                totp_secret: secret,
            },
        ))
    })
    .await
}

async fn shared_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let (v1, u1) = vendor_user(&app, "第一メディカル株式会社", "eng@v1.example.jp").await;
    let (v2, _) = vendor_user(&app, "第二システム株式会社", "eng@v2.example.jp").await;
    let (facility, b) = (s.a.clone(), s.b.clone());
    let (rec1, rec2, unlinked, rec_b) = app
        .db(move |c| {
            let mk = |name: &str, link: Option<i64>, note: &str| VendorData {
                name: name.into(),
                vendor_org_id: link,
                note: Some(note.into()),
                active: true,
                ..VendorData::default()
            };
            let r1 = vs::save(
                c,
                &facility,
                "t",
                None,
                &mk("第一メディカル", Some(v1), "施設内メモ秘密A"),
            )?;
            let r2 = vs::save(
                c,
                &facility,
                "t",
                None,
                &mk("第二システム", Some(v2), "施設内メモ秘密B"),
            )?;
            let r3 = vs::save(
                c,
                &facility,
                "t",
                None,
                &mk("連携なし保守社", None, "秘密C"),
            )?;
            let rb = vs::save(
                c,
                &b,
                "t",
                None,
                &mk("第一メディカル（乙）", Some(v1), "秘密D"),
            )?;
            let sys = anzen_store::accounts::save_system(
                c,
                &facility,
                "t",
                None,
                &anzen_store::accounts::SystemData {
                    name: "電子カルテ".into(),
                    kind: "電子カルテ".into(),
                    owner: None,
                    vendor: None,
                    supports_mfa: true,
                    min_password_len: None,
                    note: None,
                },
            )?;
            let rows: Vec<vs::Assignment> = anzen_core::rules::vendors::Duty::ALL
                .iter()
                .map(|d| vs::Assignment {
                    duty: d.code().into(),
                    role: "responsible".into(),
                    vendor_id: if d.code() == "patching" {
                        Some(r1.id)
                    } else if d.code() == "backup" {
                        Some(r2.id)
                    } else {
                        None
                    },
                })
                .collect();
            vs::set_matrix(c, &facility, "t", sys.id, &rows)?;
            anzen_web::checks::check_vendors(c, &facility, "t", anzen_web::today_jst())
                .map_err(|e| anzen_store::StoreError::Decode(e.to_string()))?;
            Ok((r1.id, r2.id, r3.id, rb.id))
        })
        .await;

    let eng = app.sign_in(&u1).await;
    let (st, html) = eng.text(&format!("/o/{v1}/clients")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains(A_NAME), "[{be}] {html}");
    assert!(html.contains(B_NAME), "[{be}] both clients that linked v1");
    assert!(html.contains("取引先の医療機関"), "[{be}] nav");
    let (st, html) = eng.text(&format!("/o/{v1}/clients/{rec1}")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        html.contains("「パッチ適用」の担当について第一メディカルの合意がありません"),
        "[{be}] {html}"
    );
    assert!(html.contains("担当を引き受ける"), "[{be}]");
    for secret in [
        "施設内メモ秘密A",
        "第二システム",
        "連携なし保守社",
        "秘密D",
        B_ADDRESS,
    ] {
        assert!(!html.contains(secret), "[{be}] {secret} leaked");
    }
    // Another vendor's record, an unlinked one, and the facility's own pages: 404.
    for path in [
        format!("/o/{v1}/clients/{rec2}"),
        format!("/o/{v1}/clients/{unlinked}"),
        format!("/o/{v2}/clients/{rec1}"),
        format!("/o/{a}/vendors"),
        format!("/o/{a}/vendors/{rec1}"),
        format!("/o/{a}/findings"),
    ] {
        let res = eng.get(&path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}] {path}");
    }
    // B's record linked to v1 is its own client page; B's data stays B's.
    let (st, html) = eng.text(&format!("/o/{v1}/clients/{rec_b}")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        !html.contains("施設内メモ秘密A") && !html.contains("電子カルテ"),
        "[{be}]"
    );

    // The vendor hands over its MDS/SDS and accepts its duty.
    let res = upload_doc(
        &eng,
        &format!("/o/{v1}/clients/{rec1}/documents"),
        "mds_sds",
        "SDS.pdf",
        b"%PDF sds",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] vendor upload");
    // It cannot write into another vendor's record.
    let res = upload_doc(
        &eng,
        &format!("/o/{v1}/clients/{rec2}/documents"),
        "mds_sds",
        "SDS.pdf",
        b"%PDF x",
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}]");
    let (_, html) = eng.text(&format!("/o/{v1}/clients/{rec1}")).await;
    let row = between(&html, &format!("/o/{v1}/clients/{rec1}/accept/"), "\"")
        .expect("accept")
        .to_owned();
    let res = eng
        .post(&format!("/o/{v1}/clients/{rec2}/accept/{row}"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}] not its record");
    let res = eng
        .post(&format!("/o/{v1}/clients/{rec1}/accept/{row}"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] accept");
    let (_, html) = eng.text(&format!("/o/{v1}/clients/{rec1}")).await;
    assert!(!html.contains("合意がありません"), "[{be}] resolved");
    assert!(html.contains("合意済み"), "[{be}]");

    // The facility sees the document from the vendor, in its own ledger and the vendor's.
    let facility = s.a.clone();
    let docs = app
        .db(move |c| vs::documents(c, &facility, Some(rec1)))
        .await;
    assert_eq!(docs.len(), 1, "[{be}]");
    assert!(
        docs[0].uploaded_by.starts_with("eng@v1.example.jp"),
        "[{be}]"
    );
    let vledger: Vec<String> = app
        .ledger(anzen_core::OrgId(v1))
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        vledger.iter().any(|k| k == "vendor.shared.document"),
        "[{be}]"
    );
    assert!(
        vledger.iter().any(|k| k == "vendor.shared.accept"),
        "[{be}]"
    );
    // A facility's user is not a member of the vendor organisation.
    let admin = app.sign_in(s.a_user(Role::Admin)).await;
    let res = admin.get(&format!("/o/{v1}/clients/{rec1}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}]");
}

#[test]
fn vendor_sees_only_what_is_shared_with_it() {
    run(test_config(), shared_body);
}

async fn edit_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let res = staff
        .post(&format!("/o/{a}/vendors"), &[("name", "編集テスト社")])
        .await;
    let page = location(&res);
    let vid: i64 = page
        .rsplit('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("id");
    let other = staff
        .post(&format!("/o/{a}/vendors"), &[("name", "別の事業者")])
        .await;
    let other_page = location(&other);
    for (part, fields) in [
        (
            "certifications",
            vec![
                ("kind", "isms"),
                ("expires_on", "2020-03-31"),
                ("cert_no", "IS 1"),
            ],
        ),
        ("services", vec![("name", "外部保存"), ("stores_data", "1")]),
    ] {
        let res = staff
            .post(&format!("/o/{a}/vendors/{vid}/add/{part}"), &fields)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] {part}");
    }
    let res = upload_doc(
        &staff,
        &format!("/o/{a}/vendors/{vid}/documents"),
        "mds_sds",
        "MDS.pdf",
        b"%PDF mds",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] doc");
    let (_, html) = staff.text(&page).await;
    assert!(html.contains("の有効期限が切れています"), "[{be}]");
    assert!(
        html.contains("データの保存場所が確認されていません"),
        "[{be}]"
    );
    let id_of = |html: &str, part: &str| -> i64 {
        between(html, &format!("/edit/{part}/"), "\"")
            .and_then(|x| x.parse().ok())
            .expect("edit link")
    };
    let (cert, svc, doc) = (
        id_of(&html, "certifications"),
        id_of(&html, "services"),
        id_of(&html, "documents"),
    );

    // The form is pre-filled with the row.
    let edit = format!("/o/{a}/vendors/{vid}/edit/certifications/{cert}");
    let (st, form) = staff.text(&edit).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        form.contains("name=\"expires_on\" value=\"2020-03-31\""),
        "[{be}] {form}"
    );
    assert!(form.contains("<option value=\"isms\" selected>"), "[{be}]");
    assert!(form.contains("name=\"cert_no\" value=\"IS 1\""), "[{be}]");
    // A bad date names the field; nothing changes.
    let res = staff
        .post(&edit, &[("kind", "isms"), ("expires_on", "いつか")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("有効期限「いつか」")
    );
    // Renewed (和暦 accepted): the finding resolves in the same request.
    let res = staff
        .post(
            &edit,
            &[
                ("kind", "isms"),
                ("expires_on", "R11.3.31"),
                ("cert_no", "IS 2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    assert_eq!(location(&res), format!("{page}#certifications"));
    let (_, html) = staff.text(&page).await;
    assert!(!html.contains("の有効期限が切れています"), "[{be}]");
    assert!(html.contains("2029-03-31"), "[{be}]");
    assert!(html.contains("IS 2"), "[{be}]");

    // The service's data location, checked with the vendor.
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/edit/services/{svc}"),
            &[
                ("name", "外部保存"),
                ("stores_data", "1"),
                ("data_country", "日本"),
                ("within_japan_law", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = staff.text(&page).await;
    assert!(
        !html.contains("データの保存場所が確認されていません"),
        "[{be}]"
    );

    // A document's metadata (the kind, version and file stay).
    let dedit = format!("/o/{a}/vendors/{vid}/edit/documents/{doc}");
    let (_, form) = staff.text(&dedit).await;
    assert!(
        form.contains("種類・版・ファイルは変更できません"),
        "[{be}]"
    );
    let res = staff
        .post(
            &dedit,
            &[("received_on", "R7.4.1"), ("form_version", "Ver.5.1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = staff.text(&page).await;
    assert!(html.contains("2025-04-01"), "[{be}]");
    assert!(html.contains("Ver.5.1"), "[{be}]");

    // Another vendor's page does not reach these rows; the auditor cannot edit; another
    // facility gets 404.
    let ovid = other_page.rsplit('/').next().expect("id");
    let res = staff
        .get(&format!("/o/{a}/vendors/{ovid}/edit/certifications/{cert}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}]");
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{ovid}/edit/certifications/{cert}"),
            &[("kind", "isms")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}]");
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    assert_eq!(auditor.get(&edit).await.status(), StatusCode::FORBIDDEN);
    let res = auditor.post(&edit, &[("kind", "isms")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let b_admin = app.sign_in(&s.b_admin).await;
    assert_eq!(b_admin.get(&edit).await.status(), StatusCode::NOT_FOUND);

    // Audited with before and after.
    let org = s.a.id;
    let entries = app
        .db(move |c| {
            anzen_store::ledger::list(
                c,
                org,
                &anzen_store::ledger::EntryQuery {
                    kind_prefix: Some("vendor.certification.update".into()),
                    ..Default::default()
                },
            )
        })
        .await;
    assert_eq!(entries.len(), 1, "[{be}]");
    let p: serde_json::Value = serde_json::from_slice(&entries[0].payload).expect("json");
    assert_eq!(p["before"]["expires_on"], "2020-03-31", "[{be}]");
    assert_eq!(p["after"]["expires_on"], "2029-03-31", "[{be}]");
}

#[test]
fn vendor_rows_are_edited_in_place() {
    run(test_config(), edit_body);
}
