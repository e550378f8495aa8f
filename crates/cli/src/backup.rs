//! `anzen backup` / `anzen restore` — implemented by the backup task.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub data: DataArg,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArg,
}

pub fn backup(_args: BackupArgs) -> Result<ExitCode> {
    Err(UsageError("backup is not available in this build yet".into()).into())
}

pub fn restore(_args: RestoreArgs) -> Result<ExitCode> {
    Err(UsageError("restore is not available in this build yet".into()).into())
}
