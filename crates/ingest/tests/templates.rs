use anzen_ingest::*;

#[test]
fn csv_templates_parse_back() {
    for kind in TemplateKind::ALL {
        let bytes = template_csv(kind);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{kind:?} has a BOM");
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        assert_eq!(
            text.matches("\r\n").count(),
            1 + kind.examples().len(),
            "{kind:?}: header + examples, CRLF"
        );
        let header = text
            .trim_start_matches('\u{FEFF}')
            .lines()
            .next()
            .expect("header");
        assert_eq!(
            header,
            kind.fields()
                .iter()
                .map(|f| f.ja)
                .collect::<Vec<_>>()
                .join(",")
        );
        let file = format!("{}.csv", kind.slug());
        let warnings = match kind {
            TemplateKind::Assets => parse_assets(&file, &bytes).map(|p| (p.rows.len(), p.warnings)),
            TemplateKind::Accounts => {
                parse_accounts(&file, &bytes).map(|p| (p.rows.len(), p.warnings))
            }
            TemplateKind::Staff => parse_staff(&file, &bytes).map(|p| (p.rows.len(), p.warnings)),
            TemplateKind::AccessLog => {
                parse_access_log(&file, &bytes).map(|p| (p.rows.len(), p.warnings))
            }
            TemplateKind::AccessPolicy => {
                parse_access_policy(&file, &bytes).map(|p| (p.rows.len(), p.warnings))
            }
        };
        match warnings {
            Ok((rows, w)) => {
                assert_eq!(rows, kind.examples().len(), "{kind:?}");
                assert!(w.is_empty(), "{kind:?}: {w:?}");
            }
            Err(ps) => panic!("{kind:?}: {ps:#?}"),
        }
    }
}

#[test]
fn xlsx_templates_parse_back() {
    for kind in TemplateKind::ALL {
        let bytes = template_xlsx(kind);
        assert!(bytes.starts_with(b"PK\x03\x04"), "{kind:?} is an xlsx");
        let file = format!("{}.xlsx", kind.slug());
        let rows = match kind {
            TemplateKind::Assets => parse_assets(&file, &bytes).map(|p| {
                assert_eq!(p.rows[0].row.asset_id, "SV-01");
                assert_eq!(p.rows[0].row.kind, AssetKind::Server);
                assert_eq!(
                    p.rows[0].row.last_patched,
                    Some(jiff::civil::date(2025, 4, 1))
                );
                assert_eq!(p.source.sheet.as_deref(), Some("資産台帳"));
                p.rows.len()
            }),
            TemplateKind::Accounts => parse_accounts(&file, &bytes).map(|p| p.rows.len()),
            TemplateKind::Staff => parse_staff(&file, &bytes).map(|p| p.rows.len()),
            TemplateKind::AccessLog => parse_access_log(&file, &bytes).map(|p| p.rows.len()),
            TemplateKind::AccessPolicy => parse_access_policy(&file, &bytes).map(|p| {
                let kinds: Vec<PolicyKind> = p.rows.iter().map(|r| r.row.entry.kind()).collect();
                assert_eq!(kinds, PolicyKind::ALL, "one example per 区分");
                p.rows.len()
            }),
        };
        match rows {
            Ok(n) => assert_eq!(n, kind.examples().len(), "{kind:?}"),
            Err(ps) => panic!("{kind:?}: {ps:#?}"),
        }
        // The 説明 sheet lists every column with 必須 marks.
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("open");
        assert_eq!(
            wb.sheet_names(),
            vec![kind.name_ja().to_owned(), "説明".to_owned()]
        );
        let help = wb.worksheet_range("説明").expect("説明");
        let rows: Vec<Vec<String>> = help
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(rows[0][..3], ["列", "英語名", "必須"]);
        assert_eq!(rows.len(), kind.fields().len() + 1);
        for (row, f) in rows[1..].iter().zip(kind.fields()) {
            assert_eq!(row[0], f.ja);
            assert_eq!(row[1], f.en);
            assert_eq!(row[2] == "必須", f.required, "{}", f.ja);
            assert!(!row[3].is_empty(), "{} has allowed values", f.ja);
        }
    }
}
