//! The one error type of the crate.
//!
//! Every fallible function returns [`LedgerError`]; verification problems found while
//! *auditing* a whole log are not errors but [`crate::verify::Damage`] records, because an
//! audit must keep going and name every problem rather than stop at the first.

use std::path::PathBuf;

/// Everything that can go wrong in the ledger library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// Canonical entry bytes could not be decoded (bad magic, short input, trailing bytes, ...).
    #[error("entry decode: {0}")]
    Decode(String),
    /// A text field of an entry is not valid UTF-8.
    #[error("entry decode: field `{0}` is not valid UTF-8")]
    InvalidUtf8(&'static str),
    /// A field is longer than the 32-bit length prefix of the encoding can express.
    #[error("entry encode: field `{0}` is longer than 4 GiB")]
    FieldTooLong(&'static str),
    /// Bytes that should hold a hash (hex or base64) are malformed or of the wrong length.
    #[error("bad hash encoding: {0}")]
    BadHash(String),
    /// Serialized [`crate::tree::Frontier`] bytes are inconsistent.
    #[error("bad frontier bytes: {0}")]
    BadFrontier(String),
    /// A leaf index or tree size is out of range for the requested operation.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// A hash source returned a different number of hashes than asked for.
    #[error("hash source returned {got} hashes at level {level} for [{start}, {end})")]
    SourceShort {
        /// Level asked for.
        level: u8,
        /// First index asked for.
        start: u64,
        /// One past the last index asked for.
        end: u64,
        /// Number of hashes returned.
        got: usize,
    },
    /// An inclusion or consistency proof has the wrong number of hashes.
    #[error("proof has {got} hashes, expected {want}")]
    ProofLength {
        /// Number of hashes supplied.
        got: usize,
        /// Number of hashes the tree shape requires.
        want: usize,
    },
    /// A proof does not lead to the expected root.
    #[error("proof does not verify: {0}")]
    ProofMismatch(String),
    /// A checkpoint or signed note is malformed.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// No signature on the note verifies under the given key.
    #[error("no valid signature by key `{0}` on the note")]
    BadSignature(String),
    /// A key string (verifier key, private key file contents) is malformed.
    #[error("malformed key: {0}")]
    MalformedKey(String),
    /// A key name is not acceptable (empty, whitespace or `+`).
    #[error("invalid key name {0:?}: must be non-empty, without whitespace or '+'")]
    BadKeyName(String),
    /// The private key file can be read by group or other.
    #[error(
        "key file {path} has mode {mode:o}; it must not be readable by group or other (chmod 600)"
    )]
    KeyFilePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Reading or writing a key file failed.
    #[error("key file {path}: {source}")]
    KeyFileIo {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The operating system random generator failed.
    #[error("random generator failed: {0}")]
    Random(String),
}
