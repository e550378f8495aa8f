//! `anzen export checklist`: the 年度's checklist as xlsx (the official form's layout) or
//! CSV, from the same export model as the web downloads. The file is written atomically
//! (temporary file in the same directory, then rename) and the export is recorded in the
//! organisation's audit ledger as `export.checklist` by `cli`. `anzen export inspection-pack`
//! writes the 立入検査 pack (`anzen_web::inspection_pack`) the same way.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use anzen_core::calendar::FiscalYear;
use anzen_web::checklist_export::{self, ExportError};
use anzen_web::inspection_pack;

use crate::{DataArg, UsageError};

#[derive(clap::Subcommand, Debug)]
pub enum ExportCommand {
    /// The サイバーセキュリティ対策チェックリスト of a 年度 (xlsx or CSV).
    Checklist(ChecklistArgs),
    /// The asset ledger in the 資産台帳 template layout (csv or xlsx).
    Assets(crate::assets::ExportAssetsArgs),
    /// The access policy of every system in the アクセス権限表 template layout (csv or
    /// xlsx), to edit and bring back with `anzen import access-policy`.
    AccessPolicy(crate::assets::ExportAssetsArgs),
    /// The 立入検査 pack of a 年度: one xlsx workbook with a cover, the checklist, the
    /// 連絡体制図, the asset ledger, the accounts audit, backups and drills, the BCP, the
    /// vendors' documents and the open findings, vouched for by a signed ledger checkpoint.
    InspectionPack(InspectionPackArgs),
}

#[derive(clap::Args, Debug)]
pub struct InspectionPackArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    /// 年度 as a western year, e.g. 2025 for 令和7年度 (default: the current 年度).
    #[arg(long, value_name = "FY")]
    pub year: Option<i32>,
    /// The xlsx file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChecklistFormat {
    Xlsx,
    Csv,
}

impl ChecklistFormat {
    fn code(self) -> &'static str {
        match self {
            ChecklistFormat::Xlsx => "xlsx",
            ChecklistFormat::Csv => "csv",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ChecklistArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    /// 年度 as a western year, e.g. 2025 for 令和7年度 (default: the current 年度).
    #[arg(long, value_name = "FY")]
    pub year: Option<i32>,
    /// xlsx (the official form's layout) or csv (UTF-8 with BOM).
    #[arg(long, value_enum)]
    pub format: ChecklistFormat,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(cmd: ExportCommand) -> Result<ExitCode> {
    match cmd {
        ExportCommand::Checklist(a) => checklist(a),
        ExportCommand::Assets(a) => crate::assets::export(a),
        ExportCommand::InspectionPack(a) => inspection_pack(a),
        ExportCommand::AccessPolicy(a) => crate::accounts::export_policy(a),
    }
}

/// `--year`, or the current 年度.
fn fiscal_year(year: Option<i32>) -> Result<FiscalYear> {
    match year {
        Some(y) if (2000..=2100).contains(&y) => Ok(FiscalYear(y)),
        Some(y) => Err(UsageError(format!(
            "--year {y}: give the 年度 as a western year, e.g. 2025"
        ))
        .into()),
        None => Ok(FiscalYear::of(anzen_web::today_jst())),
    }
}

fn inspection_pack(args: InspectionPackArgs) -> Result<ExitCode> {
    let fy = fiscal_year(args.year)?;
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let cp = cfg.checkpointer(&dir)?;
    // One transaction: the checkpoint on the cover, the file and its ledger record commit
    // together, and the file is in place before they do.
    let g = store.write(|c| -> Result<inspection_pack::Generated> {
        let g = inspection_pack::generate(
            c,
            &org,
            "cli",
            fy,
            anzen_web::today_jst(),
            Some(&cp),
            "xlsx",
            inspection_pack::render_xlsx,
        )?;
        write_atomically(&args.out, &g.body)?;
        Ok(g)
    })?;
    println!(
        "{}: {} {} ({} bytes)",
        args.out.display(),
        g.pack.cover.facility,
        fy.label_both(),
        g.body.len()
    );
    for (sheet, _, n, warn) in g.pack.contents() {
        if warn.is_empty() {
            println!("  {sheet}: {n}");
        } else {
            println!("  {sheet}: {n}  注意: {warn}");
        }
    }
    match &g.pack.cover.checkpoint {
        Some(c) => println!(
            "checkpoint on the cover: size {} root {} ({})",
            c.size, c.root_base64, c.root_hex
        ),
        None => println!("checkpoint on the cover: none (the ledger is empty)"),
    }
    println!("sha256 {}", g.sha256);
    println!(
        "recorded as ledger entry {} ({})",
        g.pack.cover.record_index,
        inspection_pack::AUDIT_KIND
    );
    if let Some(note) = &g.sealed {
        let sealed = anzen_ledger::Checkpoint::parse_unverified(note)?;
        println!(
            "checkpoint over the record: size {} root {}",
            sealed.size,
            sealed.root.to_base64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn checklist(args: ChecklistArgs) -> Result<ExitCode> {
    let fy = fiscal_year(args.year)?;
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let format = args.format;
    // The body is built inside the transaction that records the export: a failure to build
    // it leaves no audit entry for an export that never happened.
    let result = store.write(|c| -> Result<(checklist_export::Export, Vec<u8>)> {
        let export = checklist_export::load(c, &org, "cli", fy, format.code())?;
        let body = match format {
            ChecklistFormat::Csv => checklist_export::csv(&export.rows).into_bytes(),
            ChecklistFormat::Xlsx => checklist_export::xlsx(&export).context("writing xlsx")?,
        };
        write_atomically(&args.out, &body)?;
        Ok((export, body))
    });
    let (export, body) = match result {
        Ok(v) => v,
        Err(e) => {
            return Err(match e.downcast::<ExportError>() {
                Ok(ExportError::NoAssessment(m) | ExportError::NoEdition(m)) => {
                    UsageError(format!("{m} (organisation {})", org.profile.name)).into()
                }
                Ok(other) => other.into(),
                Err(e) => e,
            });
        }
    };
    // Sign a checkpoint over the new audit entry when one is due.
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!(
        "{}: {} ({}, {}, {} items, {} bytes)",
        args.out.display(),
        export.title(),
        export.facility,
        export.assessment.status.label_ja(),
        export.rows.len(),
        body.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `body` to a temporary file next to `out`, syncs it and renames it over `out`.
pub(crate) fn write_atomically(out: &Path, body: &[u8]) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(UsageError(format!(
            "--out {}: the directory {} does not exist",
            out.display(),
            parent.display()
        ))
        .into());
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".anzen-export-")
        .tempfile_in(parent)
        .with_context(|| format!("creating a temporary file in {}", parent.display()))?;
    tmp.write_all(body)?;
    tmp.as_file().sync_all()?;
    tmp.persist(out)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
