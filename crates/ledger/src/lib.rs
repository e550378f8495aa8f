//! anzen-ledger: the tamper-evident, append-only ledger under every record anzen keeps.
//!
//! The guideline anzen checks (真正性, and "prevent improper deletion, alteration or
//! addition of access logs") applies to anzen itself, so its audit trail must be provably
//! unaltered — even against someone with database access. This crate is the pure core:
//! no database and no I/O beyond key files.
//!
//! * [`entry`] — canonical entry bytes (documented in `FORMAT.md` for third parties);
//! * [`hash`] — SHA-256 and the RFC 6962 leaf / node hashing;
//! * [`tree`] — the incremental [`tree::Frontier`] used on append, reporting which
//!   interior nodes (levels 8, 16, ...) the store must persist;
//! * [`proof`] — inclusion and consistency proofs from stored tiles, and their
//!   verification;
//! * [`checkpoint`] — C2SP signed-note checkpoints with Ed25519, key files;
//! * [`verify`] — streaming full-log audit that names each damaged entry.

pub mod checkpoint;
pub mod entry;
mod error;
pub mod hash;
pub mod proof;
pub mod tree;
pub mod verify;

pub use checkpoint::{Checkpoint, SigningKey, VerifierKey, note_hash};
pub use entry::{Entry, EntryRef};
pub use error::LedgerError;
pub use hash::{Hash, leaf_hash, node_hash};
pub use proof::{
    HashSource, MemorySource, consistency_proof, inclusion_proof, root_at, subtree_root,
    verify_consistency, verify_inclusion,
};
pub use tree::{Frontier, StoredNode};
pub use verify::{Damage, DamageKind, Params, Report, Verifier, verify_log};
