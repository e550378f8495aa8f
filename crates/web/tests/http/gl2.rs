//! 2省GL 該当性チェック over HTTP on both backends: answer the questionnaire (questions not
//! reached are disabled), see the reasoning before saving, save, see the outcome on the
//! vendor page and the サービス仕様適合開示書 finding follow it, and the saved history.

use anzen_core::Role;
use anzen_store::ledger::{self, EntryQuery};
use reqwest::StatusCode;

use crate::common::*;

const SPEC_MISSING: &str = "サービス仕様適合開示書を受領していません";

async fn gl2_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let res = staff
        .post(&format!("/o/{a}/vendors"), &[("name", "北陸クラウド")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] create");
    let page = location(&res);
    let vid: i64 = page
        .rsplit('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("id");
    // A data-storing service: never assessed, the サービス仕様適合開示書 is expected.
    let res = staff
        .post(
            &format!("/o/{a}/vendors/{vid}/add/services"),
            &[
                ("name", "画像保存サービス"),
                ("stores_data", "1"),
                ("data_country", "日本"),
                ("within_japan_law", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] service");
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains("id=\"gl2-latest\" data-verdict=\"\""),
        "[{be}]"
    );
    assert!(html.contains("該当性チェックを始める"), "[{be}]");
    assert!(html.contains(SPEC_MISSING), "[{be}]");

    // The questionnaire: only the first question is reached, nothing saved yet.
    let q = format!("/o/{a}/vendors/{vid}/gl2");
    let (st, html) = staff.text(&q).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        html.contains("id=\"q-relation\" class=\"reached\""),
        "[{be}]"
    );
    assert!(
        html.contains("id=\"q-service\" class=\"unreached\" disabled"),
        "[{be}]"
    );
    assert!(html.contains("data-verdict=\"needs_review\""), "[{be}]");
    assert!(html.contains("まだ保存された判定はありません"), "[{be}]");

    // 次へ: the next question opens; an answer to a question not reached is ignored.
    let (_, html) = staff
        .text(&format!("{q}?step=1&relation=contract&handles=yes"))
        .await;
    assert!(
        html.contains("id=\"q-service\" class=\"reached\""),
        "[{be}]"
    );
    assert!(
        html.contains("id=\"q-handles\" class=\"unreached\" disabled"),
        "[{be}]"
    );
    assert!(html.contains("data-verdict=\"needs_review\""), "[{be}]");
    assert!(html.contains("未回答のため"), "[{be}]");

    // A service that does not handle 医療情報: the reasoning quotes ※2 before saving.
    let (_, html) = staff
        .text(&format!("{q}?step=1&relation=contract&service=no_medical"))
        .await;
    assert!(html.contains("data-verdict=\"not_applicable\""), "[{be}]");
    assert!(
        html.contains("医療情報を取り扱わないサービス（例えば電力供給契約や清掃契約等）は含まない"),
        "[{be}]"
    );
    assert!(html.contains("§2-1 ① 範囲の概要 ※2"), "[{be}]");
    assert!(html.contains("個人情報保護法令"), "[{be}]");
    assert!(
        html.contains("<input type=\"hidden\" name=\"service\" value=\"no_medical\">"),
        "[{be}] the answers to save"
    );

    // Save it: the vendor page shows the outcome; the サービス仕様適合開示書 is no longer
    // expected (the SLA still is).
    let res = staff
        .post(
            &q,
            &[
                ("relation", "contract"),
                ("service", "no_medical"),
                ("handles", "yes"),
                ("note", "契約書で確認"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] save");
    assert_eq!(location(&res), format!("{page}#gl2"));
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains("id=\"gl2-latest\" data-verdict=\"not_applicable\""),
        "[{be}] {html}"
    );
    assert!(html.contains("2省GLの適用なし"), "[{be}]");
    assert!(html.contains("契約書で確認"), "[{be}]");
    assert!(!html.contains(SPEC_MISSING), "[{be}] resolved");
    assert!(
        html.contains("SLA（サービスレベル合意書）を受領していません"),
        "[{be}]"
    );

    // Answered again: remote maintenance with access to the data → 2省GL applies.
    let (_, html) = staff
        .text(&format!(
            "{q}?step=1&relation=contract&service=maintenance&handles=yes"
        ))
        .await;
    assert!(html.contains("data-verdict=\"applies\""), "[{be}]");
    assert!(
        html.contains("医療に関する患者情報（個人識別情報）"),
        "[{be}]"
    );
    let res = staff
        .post(
            &q,
            &[
                ("relation", "contract"),
                ("service", "maintenance"),
                ("handles", "yes"),
                // Forged outcome fields are ignored: the server evaluates.
                ("outcome", "not_applicable"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] save 2");
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains("id=\"gl2-latest\" data-verdict=\"applies\""),
        "[{be}]"
    );
    assert!(html.contains("id=\"service-spec-expected\""), "[{be}]");
    assert!(html.contains("（未受領）"), "[{be}]");
    assert!(html.contains(SPEC_MISSING), "[{be}] reopened");
    assert!(
        html.contains("2省GL 該当性チェックで「2省GLの適用あり」"),
        "[{be}]"
    );

    // The questionnaire starts from the latest saved answers and lists the history.
    let (_, html) = staff.text(&q).await;
    assert!(
        html.contains("name=\"service\" value=\"maintenance\" checked"),
        "[{be}]"
    );
    let hist = between(&html, "id=\"gl2-history\"", "</section>").expect("history");
    let applies = hist.find("2省GLの適用あり").expect("applies row");
    let not = hist.find("2省GLの適用なし").expect("not row");
    assert!(applies < not, "[{be}] newest first");
    assert!(hist.contains("単なる売買契約") || hist.contains("開発・保守・運用・管理"));

    // Audited, with the answers used (not the ones of questions never reached).
    let org = s.a.id;
    let entries = app
        .db(move |c| {
            ledger::list(
                c,
                org,
                &EntryQuery {
                    kind_prefix: Some("vendor.gl2.".into()),
                    ..EntryQuery::default()
                },
            )
        })
        .await;
    assert_eq!(entries.len(), 2, "[{be}]");
    let last: serde_json::Value = serde_json::from_slice(&entries[1].payload).expect("json");
    assert_eq!(last["outcome"], "not_applicable", "[{be}]");
    assert!(last["answers"].get("handles").is_none(), "[{be}]");

    // The auditor reads but cannot save; another facility gets 404.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    assert_eq!(auditor.get(&q).await.status(), StatusCode::OK, "[{be}]");
    let res = auditor.post(&q, &[("relation", "sale_only")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let other = app.sign_in(&s.b_admin).await;
    assert_eq!(
        other.get(&q).await.status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
    let b = s.b.id.0;
    let res = other
        .post(
            &format!("/o/{b}/vendors/{vid}/gl2"),
            &[("relation", "sale_only")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "[{be}] other tenant's vendor"
    );
}

#[test]
fn gl2_questionnaire_reasoning_save_and_history() {
    run(test_config(), gl2_body);
}
