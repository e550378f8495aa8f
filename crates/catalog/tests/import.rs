//! Import of a checklist workbook in the official MHLW layout, generated here with
//! rust_xlsxwriter from the builtin editions' own items.

use anzen_catalog::import::{
    Column, ColumnMapping, ImportError, ImportPreview, ImportProblem, ImportTarget, MappingField,
    build_edition, guess_mapping, read_workbook,
};
use anzen_catalog::{Catalog, Edition, Form, Group, Item, Subgroup, Target};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

const FILE: &str = "r8_checklist.xlsx";
const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const SHEET: &str = "チェックリスト";
/// Excel row of the main header in the generated layout (the sub-header is the next row).
const HEADER_ROW: u32 = 6;
/// Excel row of the first data row (after the two header rows).
const FIRST_DATA_ROW: u32 = 8;

fn builtin() -> Catalog {
    Catalog::builtin().expect("builtin catalog loads")
}

fn edition(c: &Catalog, fy: i32) -> Edition {
    c.edition(fy, Form::Medical)
        .expect("builtin medical edition exists")
        .clone()
}

/// How item numbers are printed in the generated sheet.
#[derive(Clone, Copy)]
enum Numbering {
    /// `1-(1)` / `2-④` as in the data.
    Full,
    /// `(1)` / `④` under the section heading.
    Short,
    /// Alternating, to show both are read in one sheet.
    Mixed,
}

/// One item row to write.
#[derive(Clone)]
struct Row {
    number: String,
    text: String,
    group: Group,
    subgroup: Option<Subgroup>,
    due: Option<String>,
}

fn rows_of(e: &Edition) -> Vec<Row> {
    e.items
        .iter()
        .map(|i| Row {
            number: i.number.clone(),
            text: i.text.clone(),
            group: i.group,
            subgroup: i.subgroup,
            due: i.required_by_fy.map(|y| format!("令和{}年度中", y - 2018)),
        })
        .collect()
}

fn printed(number: &str, style: Numbering, n: usize) -> String {
    let short = number
        .split_once('-')
        .map_or(number, |(_, r)| r)
        .to_string();
    match style {
        Numbering::Full => number.to_string(),
        Numbering::Short => short,
        Numbering::Mixed if n.is_multiple_of(2) => number.to_string(),
        Numbering::Mixed => short,
    }
}

fn w(ws: &mut Worksheet, row: u32, col: u16, s: &str) {
    ws.write_string(row - 1, col, s).expect("write cell");
}

fn merge(ws: &mut Worksheet, row: u32, c1: u16, row2: u32, c2: u16, s: &str) {
    ws.merge_range(row - 1, c1, row2 - 1, c2, s, &Format::new())
        .expect("merge cells");
}

/// The official layout: title, form name, blank, how-to, gate question, a two-row header
/// (番号 | チェック項目 | 期限 | 1回目 はい・いいえ/確認日/目標日 | 2回目 …), then section
/// headings 「1．体制構築」, 《サーバ》 sub-headings and item rows, and a ※ note at the end.
/// Returns the bytes and the Excel row of each item row.
fn official_sheet(ws: &mut Worksheet, rows: &[Row], style: Numbering, gate: bool) -> Vec<u32> {
    ws.set_name(SHEET).expect("sheet name");
    merge(
        ws,
        1,
        0,
        1,
        8,
        "医療機関におけるサイバーセキュリティ対策チェックリスト",
    );
    w(ws, 2, 0, "医療機関確認用");
    merge(
        ws,
        4,
        0,
        4,
        8,
        "記入方法: 各項目の実施状況を確認し、「はい」または「いいえ」にマルをつけて、確認した日付を記入してください。",
    );
    if gate {
        w(ws, 5, 0, "医療情報システムの有無");
        w(ws, 5, 1, "医療情報システムを導入、運用している。");
        w(ws, 5, 3, "はい・いいえ");
    }
    merge(ws, HEADER_ROW, 0, HEADER_ROW + 1, 0, "番号");
    merge(ws, HEADER_ROW, 1, HEADER_ROW + 1, 1, "チェック項目");
    merge(ws, HEADER_ROW, 2, HEADER_ROW + 1, 2, "整備期限");
    merge(ws, HEADER_ROW, 3, HEADER_ROW, 5, "1回目");
    merge(ws, HEADER_ROW, 6, HEADER_ROW, 8, "2回目");
    for c in [3u16, 6] {
        w(ws, HEADER_ROW + 1, c, "はい・いいえ");
        w(ws, HEADER_ROW + 1, c + 1, "確認日");
        w(ws, HEADER_ROW + 1, c + 2, "目標日");
    }
    let mut r = FIRST_DATA_ROW;
    let mut group = None;
    let mut subgroup = None;
    let mut item_rows = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        if group != Some(row.group) {
            let heading = format!("{}．{}", row.group.section(), row.group.label_ja());
            merge(ws, r, 0, r, 8, &heading);
            r += 1;
            group = Some(row.group);
            subgroup = None;
        }
        if row.subgroup.is_some() && subgroup != row.subgroup {
            let sub = row.subgroup.map_or("", |s| s.label_ja());
            merge(ws, r, 0, r, 8, &format!("《{sub}》"));
            r += 1;
            subgroup = row.subgroup;
        }
        w(ws, r, 0, &printed(&row.number, style, n));
        w(ws, r, 1, &row.text);
        if let Some(d) = &row.due {
            w(ws, r, 2, d);
        }
        w(ws, r, 3, "はい・いいえ");
        item_rows.push(r);
        r += 1;
    }
    w(ws, r + 1, 0, "※立入検査時、本チェックリストを確認します。");
    item_rows
}

fn official_workbook(rows: &[Row], style: Numbering) -> (Vec<u8>, Vec<u32>) {
    let mut wb = Workbook::new();
    let item_rows = official_sheet(wb.add_worksheet(), rows, style, true);
    (wb.save_to_buffer().expect("xlsx written"), item_rows)
}

fn official_mapping() -> ColumnMapping {
    ColumnMapping {
        sheet: 0,
        first_data_row: FIRST_DATA_ROW,
        number: Column::from_index(0),
        text: Column::from_index(1),
        due: Some(Column::from_index(2)),
        ..ColumnMapping::default()
    }
}

fn import(
    bytes: &[u8],
    mapping: &ColumnMapping,
    fy: i32,
    previous: Option<&Edition>,
) -> Result<ImportPreview, Vec<ImportProblem>> {
    let wb = read_workbook(FILE, bytes).expect("generated workbook is readable");
    build_edition(
        &wb,
        mapping,
        ImportTarget {
            fiscal_year: fy,
            form: Form::Medical,
            file_name: FILE,
            sha256_hex: SHA,
            previous,
        },
    )
}

fn import_ok(bytes: &[u8], fy: i32, previous: Option<&Edition>) -> ImportPreview {
    match import(bytes, &official_mapping(), fy, previous) {
        Ok(p) => p,
        Err(problems) => panic!(
            "import failed: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn import_err(bytes: &[u8], fy: i32, previous: Option<&Edition>) -> Vec<ImportProblem> {
    match import(bytes, &official_mapping(), fy, previous) {
        Ok(_) => panic!("import should have failed"),
        Err(p) => p,
    }
}

fn assert_same_items(imported: &Edition, prev: &Edition) {
    assert_eq!(imported.items.len(), prev.items.len());
    for (new, old) in imported.items.iter().zip(&prev.items) {
        assert_eq!(new.number, old.number);
        assert_eq!(new.text, old.text, "{}", old.id);
        assert_eq!(new.group, old.group, "{}", old.id);
        assert_eq!(new.subgroup, old.subgroup, "{}", old.id);
        assert_eq!(new.target, old.target, "{}", old.id);
        assert_eq!(new.topic, old.topic, "{}", old.id);
        assert_eq!(new.auto_evidence, old.auto_evidence, "{}", old.id);
        assert_eq!(new.required_by_fy, old.required_by_fy, "{}", old.id);
    }
}

#[test]
fn round_trip_of_the_r7_edition_as_r8() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let (bytes, item_rows) = official_workbook(&rows_of(&r7), Numbering::Mixed);
    let preview = import_ok(&bytes, 2026, Some(&r7));
    let e = &preview.edition;

    assert_eq!(e.fiscal_year, 2026);
    assert_eq!(e.form, Form::Medical);
    assert_eq!(
        e.title,
        "医療機関におけるサイバーセキュリティ対策チェックリスト"
    );
    assert!(e.title_verified);
    assert_same_items(e, &r7);
    assert!(
        e.items
            .iter()
            .any(|i| i.auto_evidence.as_deref() == Some("officer_designated"))
    );
    for (item, row) in e.items.iter().zip(&item_rows) {
        assert_eq!(
            item.id,
            anzen_catalog::ItemId::build(2026, Form::Medical, &item.number, item.target)
        );
        assert!(item.wording_verified && item.number_verified && item.due_verified);
        // No references column was mapped: unverified, with a note saying so.
        assert!(!item.references_verified);
        assert!(item.references.is_empty());
        assert!(
            item.review_notes.iter().any(|n| n.contains("参照")),
            "{:?}",
            item.review_notes
        );
        assert!(item.source.contains(FILE) && item.source.contains(SHA));
        assert!(
            item.source.ends_with(&format!("{row}行目")),
            "{}",
            item.source
        );
    }
    // The gate question is on the sheet, so it is carried over.
    assert_eq!(e.gate_questions.len(), 1);
    assert_eq!(e.gate_questions[0].id, "R8/medical/gate/system_in_use");
    assert!(e.gate_questions[0].wording_verified);
    // The ※ line is kept as a note.
    assert!(e.notes.iter().any(|n| n.contains("立入検査時")));

    let diff = preview.diff.expect("diff against the previous edition");
    assert!(diff.added.is_empty(), "{:?}", diff.added);
    assert!(diff.removed.is_empty(), "{:?}", diff.removed);
    assert!(diff.changed.is_empty(), "{:?}", diff.changed);
    assert_eq!(diff.unchanged, r7.items.len());

    // The result is a valid edition that round-trips through TOML and joins the catalog.
    assert_eq!(e.validate(), Ok(()));
    let toml = e.to_toml_string().expect("serialises");
    let back = Edition::from_toml_str("r8_medical.toml", &toml).expect("re-reads");
    assert_eq!(back.items, e.items);
    let mut c = c;
    c.add_edition(back).expect("joins the builtin catalog");
}

#[test]
fn round_trip_of_the_r5_edition_with_short_numbers() {
    let c = builtin();
    let r5 = edition(&c, 2023);
    let (bytes, _) = official_workbook(&rows_of(&r5), Numbering::Short);
    let preview = import_ok(&bytes, 2026, Some(&r5));
    assert_same_items(&preview.edition, &r5);
    let diff = preview.diff.expect("diff");
    assert_eq!(
        (diff.added.len(), diff.removed.len(), diff.changed.len()),
        (0, 0, 0)
    );
    // 2-(2) carries its applicability note in the wording; it is split out too.
    let i = &preview.edition.items[2];
    assert_eq!(i.number, "2-(2)");
    assert_eq!(i.applicability, vec!["事業者と契約していない場合は不要"]);
}

#[test]
fn diff_reports_a_changed_a_dropped_and_an_added_item() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let mut rows = rows_of(&r7);
    rows[0].text = "医療情報システム安全管理責任者を選任し、院内に周知している。".to_string();
    let dropped = rows
        .iter()
        .position(|r| r.number == "2-⑫")
        .expect("2-⑫ exists");
    rows.remove(dropped);
    let insert_at = rows
        .iter()
        .position(|r| r.group == Group::Incident)
        .expect("section 3");
    rows.insert(
        insert_at,
        Row {
            number: "2-⑭".to_string(),
            text: "新しい対策を実施している。".to_string(),
            group: Group::Operations,
            subgroup: Some(Subgroup::General),
            due: Some("令和8年度中".to_string()),
        },
    );
    let (bytes, _) = official_workbook(&rows, Numbering::Full);
    let preview = import_ok(&bytes, 2026, Some(&r7));
    let diff = preview.diff.expect("diff");

    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].number, "1-①");
    assert_eq!(diff.changed[0].old_text, r7.items[0].text);
    assert_eq!(diff.changed[0].new_text, rows[0].text);
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(diff.removed[0].number, "2-⑫");
    assert_eq!(diff.removed[0].target, Target::Network);
    assert_eq!(diff.added.len(), 1);
    assert_eq!(diff.added[0].number, "2-⑭");
    assert_eq!(diff.added[0].target, Target::None);
    assert_eq!(diff.unchanged, r7.items.len() - 2);

    // The changed item keeps its topic and auto-evidence; the new one gets a provisional
    // topic with a note; the import is still valid.
    let e = &preview.edition;
    assert_eq!(
        e.items[0].auto_evidence.as_deref(),
        Some("officer_designated")
    );
    let new = e
        .items
        .iter()
        .find(|i| i.number == "2-⑭")
        .expect("new item");
    assert_eq!(new.topic, "imported_2_14");
    assert_eq!(new.required_by_fy, Some(2026));
    assert!(new.review_notes.iter().any(|n| n.contains("topic")));
    assert!(preview.notes.iter().any(|n| n.contains("引き継がれません")));
    assert_eq!(e.validate(), Ok(()));
}

#[test]
fn without_a_due_column_due_years_are_left_open_and_marked() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let mut rows = rows_of(&r7);
    for r in &mut rows {
        r.due = None;
    }
    let (bytes, _) = official_workbook(&rows, Numbering::Full);
    let mapping = ColumnMapping {
        due: None,
        ..official_mapping()
    };
    let preview = import(&bytes, &mapping, 2026, None).expect("imports");
    assert!(preview.diff.is_none());
    // No previous edition: no gate question is invented.
    assert!(preview.edition.gate_questions.is_empty());
    for i in &preview.edition.items {
        assert_eq!(i.required_by_fy, None);
        assert!(i.no_due_reason.is_some());
        assert!(!i.due_verified);
        assert!(i.review_notes.iter().any(|n| n.contains("期限")));
        assert!(i.topic.starts_with("imported_"));
        assert_eq!(i.auto_evidence, None);
    }
    assert_eq!(preview.edition.validate(), Ok(()));
}

#[test]
fn a_gate_question_missing_from_the_sheet_is_not_carried_over() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let mut wb = Workbook::new();
    official_sheet(wb.add_worksheet(), &rows_of(&r7), Numbering::Full, false);
    let bytes = wb.save_to_buffer().expect("xlsx");
    let preview = import_ok(&bytes, 2026, Some(&r7));
    assert!(preview.edition.gate_questions.is_empty());
    assert!(preview.notes.iter().any(|n| n.contains("確認項目")));
}

/// A layout with a 対象 column, number and text merged over two device rows, a references
/// column, and 【…年度中に整備が必要な項目】 headings instead of a due column.
#[test]
fn target_column_merged_rows_references_and_due_headings() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("R8").expect("name");
    w(
        ws,
        1,
        0,
        "医療機関におけるサイバーセキュリティ対策チェックリスト",
    );
    w(ws, 3, 0, "項番");
    w(ws, 3, 1, "確認項目");
    w(ws, 3, 2, "対象機器");
    w(ws, 3, 3, "参照");
    w(ws, 4, 0, "【令和5年度中に整備が必要な項目】");
    w(ws, 5, 0, "1");
    w(ws, 5, 1, "体制構築");
    w(ws, 6, 0, "(1)");
    w(ws, 6, 1, "医療情報システム安全管理責任者を設置している。");
    w(ws, 6, 3, "企画管理編 1.1、▶経営管理編 2.1");
    merge(ws, 7, 0, 7, 3, "2. 医療情報システムの管理・運用");
    merge(ws, 8, 0, 9, 0, "2-(4)");
    merge(
        ws,
        8,
        1,
        9,
        1,
        "利用者の職種・担当業務別の情報区分毎の\nアクセス利用権限を設定している。",
    );
    w(ws, 8, 2, "サーバ");
    w(ws, 9, 2, "端末PC");
    w(ws, 10, 0, "2-(7)");
    w(ws, 10, 1, "セキュリティパッチを適用している。");
    w(ws, 10, 2, "サーバ、端末PC");
    w(ws, 11, 0, "2-(1)");
    w(ws, 11, 1, "台帳管理を行っている。");
    w(ws, 11, 2, "医療情報システム全般");
    // The header repeated (as on a printed second page) is skipped.
    w(ws, 12, 0, "項番");
    w(ws, 12, 1, "確認項目");
    let bytes = wb.save_to_buffer().expect("xlsx");
    let workbook = read_workbook(FILE, &bytes).expect("reads");

    let guess = guess_mapping(&workbook);
    assert_eq!(guess.header_row, Some(3));
    assert_eq!(guess.mapping.first_data_row, 4);
    assert_eq!(guess.mapping.target, Some(Column::from_index(2)));
    assert_eq!(guess.mapping.references, Some(Column::from_index(3)));
    assert_eq!(guess.missing, vec![MappingField::Due]);

    let preview = build_edition(
        &workbook,
        &guess.mapping,
        ImportTarget {
            fiscal_year: 2026,
            form: Form::Medical,
            file_name: FILE,
            sha256_hex: SHA,
            previous: None,
        },
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    let got: Vec<(&str, Target, Option<i32>)> = preview
        .edition
        .items
        .iter()
        .map(|i| (i.number.as_str(), i.target, i.required_by_fy))
        .collect();
    assert_eq!(
        got,
        vec![
            ("1-(1)", Target::None, Some(2023)),
            ("2-(4)", Target::Server, Some(2023)),
            ("2-(4)", Target::Terminal, Some(2023)),
            ("2-(7)", Target::Server, Some(2023)),
            ("2-(7)", Target::Terminal, Some(2023)),
            ("2-(1)", Target::None, Some(2023)),
        ]
    );
    let items: &[Item] = &preview.edition.items;
    assert_eq!(
        items[0].references,
        vec!["企画管理編 1.1", "経営管理編 2.1"]
    );
    assert!(items[0].references_verified);
    assert_eq!(
        items[2].text,
        "利用者の職種・担当業務別の情報区分毎のアクセス利用権限を設定している。"
    );
    assert_eq!(items[5].subgroup, Some(Subgroup::General));
    assert_eq!(preview.edition.validate(), Ok(()));
}

#[test]
fn guess_mapping_finds_the_header_on_a_later_sheet() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let mut wb = Workbook::new();
    {
        let cover = wb.add_worksheet();
        cover.set_name("表紙").expect("name");
        w(cover, 1, 0, "令和8年度版");
        w(cover, 3, 0, "このチェックリストの項目は…");
    }
    official_sheet(wb.add_worksheet(), &rows_of(&r7), Numbering::Full, true);
    let bytes = wb.save_to_buffer().expect("xlsx");
    let workbook = read_workbook(FILE, &bytes).expect("reads");
    assert_eq!(workbook.sheets.len(), 2);
    assert_eq!(workbook.sheets[1].name, SHEET);

    let guess = guess_mapping(&workbook);
    assert_eq!(guess.mapping.sheet, 1);
    assert_eq!(guess.sheet_name, SHEET);
    assert_eq!(guess.header_row, Some(HEADER_ROW));
    assert_eq!(guess.mapping.first_data_row, FIRST_DATA_ROW);
    assert_eq!(guess.mapping.number, Column::from_index(0));
    assert_eq!(guess.mapping.text, Column::from_index(1));
    assert_eq!(guess.mapping.due, Some(Column::from_index(2)));
    assert_eq!(
        guess.missing,
        vec![MappingField::Target, MappingField::References]
    );

    // The guessed mapping imports the sheet, and survives a JSON round trip (web form).
    let json = serde_json_like(&guess.mapping);
    assert!(json.contains("\"A\""), "{json}");
    let preview = build_edition(
        &workbook,
        &guess.mapping,
        ImportTarget {
            fiscal_year: 2026,
            form: Form::Medical,
            file_name: FILE,
            sha256_hex: SHA,
            previous: Some(&r7),
        },
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(preview.edition.items.len(), r7.items.len());
}

/// The mapping serialised as TOML (the crate has no JSON dependency; the serde shape is
/// the same), and parsed back.
fn serde_json_like(m: &ColumnMapping) -> String {
    let s = toml::to_string(m).expect("mapping serialises");
    let back: ColumnMapping = toml::from_str(&s).expect("mapping parses back");
    assert_eq!(&back, m);
    s
}

#[test]
fn cells_read_as_trimmed_strings_and_dates() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "  前後に空白  ").expect("w");
    ws.write_number(0, 1, 12.0).expect("w");
    ws.write_number(0, 2, 1.5).expect("w");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 31).expect("date");
    ws.write_datetime_with_format(0, 3, &date, &Format::new().set_num_format("yyyy/mm/dd"))
        .expect("w");
    ws.merge_range(2, 1, 2, 3, "結合", &Format::new())
        .expect("w");
    let bytes = wb.save_to_buffer().expect("xlsx");
    let book = read_workbook(FILE, &bytes).expect("reads");
    let s = &book.sheets[0];
    assert_eq!(s.cell(0, 0), "前後に空白");
    assert_eq!(s.cell(0, 1), "12");
    assert_eq!(s.cell(0, 2), "1.5");
    assert_eq!(s.cell(0, 3), "2026-03-31");
    assert_eq!(s.cell(1, 0), "");
    assert_eq!(s.cell(2, 1), "結合");
    assert_eq!(s.cell(2, 2), "");
    assert_eq!(s.cell(99, 99), "");
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

fn find<'a>(problems: &'a [ImportProblem], needle: &str) -> &'a ImportProblem {
    problems
        .iter()
        .find(|p| p.reason.contains(needle))
        .unwrap_or_else(|| panic!("no problem with «{needle}» in {problems:#?}"))
}

#[test]
fn every_problem_is_reported_with_sheet_row_and_column() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let mut rows = rows_of(&r7);
    // Row index 1 (1-②): number missing; 2-① twice; 3-①'s due unreadable.
    rows[1].number = String::new();
    let dup = rows
        .iter()
        .position(|r| r.number == "2-①")
        .expect("2-① exists");
    rows.insert(dup + 1, rows[dup].clone());
    let bad_due = rows
        .iter()
        .position(|r| r.number == "3-①")
        .expect("3-① exists");
    rows[bad_due].due = Some("参考項目".to_string());
    let (bytes, item_rows) = official_workbook(&rows, Numbering::Full);
    let problems = import_err(&bytes, 2026, Some(&r7));
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for p in &problems {
        assert_eq!(p.file_name, FILE);
        assert_eq!(p.sheet, SHEET);
    }

    let missing = find(&problems, "項目番号が空です");
    assert_eq!(missing.row, Some(item_rows[1]));
    assert_eq!(missing.column.as_deref(), Some("A"));
    assert_eq!(
        missing.to_string(),
        format!(
            "{FILE} シート『{SHEET}』 {}行目 A列: 項目番号が空です",
            item_rows[1]
        )
    );

    let duplicate = find(&problems, "項目番号が重複しています");
    assert_eq!(duplicate.row, Some(item_rows[dup + 1]));
    assert_eq!(duplicate.column.as_deref(), Some("A"));
    assert_eq!(duplicate.value, "2-①");
    assert!(
        duplicate
            .reason
            .contains(&format!("（{}行目と同じ）", item_rows[dup])),
        "{}",
        duplicate.reason
    );

    let due = find(&problems, "期限『参考項目』を年度として読めません");
    assert_eq!(due.row, Some(item_rows[bad_due]));
    assert_eq!(due.column.as_deref(), Some("C"));
    assert_eq!(due.value, "参考項目");
}

#[test]
fn a_short_number_before_any_heading_is_an_error() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET).expect("name");
    w(ws, 1, 0, "番号");
    w(ws, 1, 1, "チェック項目");
    w(ws, 2, 0, "(1)");
    w(ws, 2, 1, "医療情報システム安全管理責任者を設置している。");
    let bytes = wb.save_to_buffer().expect("xlsx");
    let mapping = ColumnMapping {
        first_data_row: 2,
        ..ColumnMapping::default()
    };
    let problems = import(&bytes, &mapping, 2026, None).expect_err("fails");
    let p = find(&problems, "見出しの前に項目があります");
    assert_eq!((p.row, p.column.as_deref()), (Some(2), Some("A")));
    assert_eq!(p.value, "(1)");
}

#[test]
fn an_empty_sheet_is_an_error() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("空").expect("name");
    w(ws, 1, 0, "番号");
    w(ws, 1, 1, "チェック項目");
    let mut empty = Workbook::new();
    empty.add_worksheet().set_name("白紙").expect("name");
    for (bytes, sheet) in [
        (wb.save_to_buffer().expect("xlsx"), "空"),
        (empty.save_to_buffer().expect("xlsx"), "白紙"),
    ] {
        let problems = import(&bytes, &ColumnMapping::default(), 2026, None).expect_err("fails");
        assert_eq!(problems.len(), 1, "{problems:#?}");
        let p = find(&problems, "チェック項目がありません");
        assert_eq!(p.sheet, sheet);
        assert_eq!(p.row, Some(2));
        assert_eq!(p.column.as_deref(), Some("A"));
    }
}

#[test]
fn a_file_that_is_not_xlsx_is_rejected_clearly() {
    let e = read_workbook("checklist.pdf", b"%PDF-1.7\n...").expect_err("not xlsx");
    assert!(matches!(e, ImportError::NotXlsx { .. }));
    let msg = e.to_string();
    assert!(msg.starts_with("checklist.pdf: "), "{msg}");
    assert!(msg.contains("xlsx"), "{msg}");

    let e = read_workbook("list.csv", "番号,チェック項目\n".as_bytes()).expect_err("not xlsx");
    assert!(matches!(e, ImportError::NotXlsx { .. }), "{e}");
    let e = read_workbook("old.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]).expect_err("xls");
    assert!(e.to_string().contains(".xls"), "{e}");
    let e = read_workbook("broken.xlsx", b"PK\x03\x04 not really a zip").expect_err("broken");
    assert!(matches!(e, ImportError::Unreadable { .. }), "{e}");
    assert!(e.to_string().starts_with("broken.xlsx: "), "{e}");
    let e = read_workbook("empty.xlsx", b"").expect_err("empty");
    assert!(e.to_string().contains("空"), "{e}");
}

#[test]
fn a_bad_mapping_is_reported() {
    let c = builtin();
    let r7 = edition(&c, 2025);
    let (bytes, _) = official_workbook(&rows_of(&r7), Numbering::Full);
    let mapping = ColumnMapping {
        sheet: 3,
        ..official_mapping()
    };
    let problems = import(&bytes, &mapping, 2026, None).expect_err("no such sheet");
    assert!(problems[0].reason.contains("4枚目のシートはありません"));
    let problems = import(&bytes, &official_mapping(), 2019, None).expect_err("bad year");
    assert!(problems.iter().any(|p| p.reason.contains("年度 2019")));
}
