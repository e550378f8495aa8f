//! `anzen verify` and `anzen ledger …` — implemented by the ledger task.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// A checkpoint kept by an auditor (witness): the ledger must not have forked from it.
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    pub against: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum LedgerCommand {
    /// Print the latest signed checkpoint of each organisation (for the auditor to keep).
    Checkpoint {
        #[command(flatten)]
        data: DataArg,
    },
}

pub fn verify(_args: VerifyArgs) -> Result<ExitCode> {
    Err(UsageError("verify is not available in this build yet".into()).into())
}

pub fn ledger(_cmd: LedgerCommand) -> Result<ExitCode> {
    Err(UsageError("ledger commands are not available in this build yet".into()).into())
}
