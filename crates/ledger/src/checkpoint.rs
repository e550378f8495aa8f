//! Signed checkpoints in the C2SP `tlog-checkpoint` / `signed-note` format.
//!
//! A checkpoint is the log's signed statement "my tree of `size` entries has root
//! `root`". Auditors keep copies (witnesses); any later rewrite of history is then
//! provable by comparing against them. Using the C2SP format means existing Go and Rust
//! tooling (`golang.org/x/mod/sumdb/note`, `signed_note`) can check our checkpoints.
//!
//! ```text
//! <origin>
//! <size, decimal>
//! <root, base64>
//! prev <base64 SHA-256 of the previous checkpoint's full note text>   (absent on the first)
//! time <RFC 3339 UTC, e.g. 2026-05-01T09:30:00Z>
//!
//! — <key name> <base64(4-byte key hash ‖ 64-byte Ed25519 signature)>
//! ```
//!
//! The signature covers the body: every byte up to and including the newline that ends
//! the last body line. The key hash is `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[..4]`.
//! The verifier key, printable for auditors, is `<name>+<hex key hash>+<base64(0x01 ‖
//! public key)>`; the private key file holds the Go-compatible
//! `PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 ‖ seed)>`.
//!
//! `prev` chains checkpoints, so deleting, inserting or altering a stored checkpoint
//! breaks the chain even where the tree sizes would not reveal it.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, Verifier as _};
use zeroize::Zeroizing;

use crate::LedgerError;
use crate::hash::{Hash, sha256};

/// Signature line prefix: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Algorithm byte for Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;
/// A note with more signatures than this is rejected (as in Go's `note` package).
const MAX_SIGNATURES: usize = 100;

fn check_key_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty()
        || name.contains('+')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(LedgerError::BadKeyName(name.to_owned()));
    }
    Ok(())
}

fn key_hash(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut buf = Vec::with_capacity(name.len() + 34);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(ALG_ED25519);
    buf.extend_from_slice(public);
    let h = sha256(&buf);
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

fn hex4(b: [u8; 4]) -> String {
    format!("{:08x}", u32::from_be_bytes(b))
}

/// The ledger's Ed25519 signing key together with its signed-note key name.
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("verifier", &self.verifier_key().to_string())
            .finish()
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate(name: &str) -> Result<SigningKey, LedgerError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|e| LedgerError::Random(e.to_string()))?;
        SigningKey::from_seed(name, &seed)
    }

    /// A key from a 32-byte Ed25519 seed (tests, or imports from other tooling).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<SigningKey, LedgerError> {
        check_key_name(name)?;
        Ok(SigningKey {
            name: name.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        })
    }

    /// The key name used in signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The verifier key auditors need to check checkpoints.
    pub fn verifier_key(&self) -> VerifierKey {
        let key = self.key.verifying_key();
        VerifierKey {
            name: self.name.clone(),
            hash: key_hash(&self.name, key.as_bytes()),
            key,
        }
    }

    /// The Go `note` private key string `PRIVATE+KEY+<name>+<hash>+<base64(0x01‖seed)>`.
    pub fn to_key_string(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new([0u8; 33]);
        raw[0] = ALG_ED25519;
        raw[1..].copy_from_slice(self.key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex4(key_hash(&self.name, &self.public_key())),
            B64.encode(raw.as_slice())
        ))
    }

    /// Parses [`SigningKey::to_key_string`] output, checking the embedded key hash.
    pub fn from_key_string(s: &str) -> Result<SigningKey, LedgerError> {
        let s = s.trim_end_matches('\n');
        // The base64 key may itself contain '+': split off only the leading fields.
        let mut parts = s.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(hash), Some(b64), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(LedgerError::MalformedKey(
                "expected PRIVATE+KEY+<name>+<hash>+<key>".into(),
            ));
        };
        let raw = Zeroizing::new(
            B64.decode(b64)
                .map_err(|e| LedgerError::MalformedKey(format!("base64: {e}")))?,
        );
        let (Some(&ALG_ED25519), Ok(seed)) = (
            raw.first(),
            <&[u8; 32]>::try_from(raw.get(1..).unwrap_or(&[])),
        ) else {
            return Err(LedgerError::MalformedKey(
                "not a 0x01-prefixed 32-byte Ed25519 seed".into(),
            ));
        };
        let key = SigningKey::from_seed(name, seed)?;
        if hex4(key_hash(name, &key.public_key())) != hash {
            return Err(LedgerError::MalformedKey(
                "key hash does not match the key".into(),
            ));
        }
        Ok(key)
    }

    /// Writes the key to a new file with mode 0600. Fails if the file exists, so an
    /// existing ledger key can never be overwritten by accident.
    pub fn save_to_file(&self, path: &Path) -> Result<(), LedgerError> {
        let io = |source| LedgerError::KeyFileIo {
            path: path.to_owned(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        let mut text = self.to_key_string();
        text.push('\n');
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(())
    }

    /// Reads a key file written by [`SigningKey::save_to_file`]. Refuses (on Unix) a file
    /// readable or writable by group or other: a leaked ledger key lets its holder sign a
    /// rewritten history.
    pub fn load_from_file(path: &Path) -> Result<SigningKey, LedgerError> {
        let io = |source| LedgerError::KeyFileIo {
            path: path.to_owned(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(LedgerError::KeyFilePermissions {
                    path: path.to_owned(),
                    mode: mode & 0o7777,
                });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        SigningKey::from_key_string(&text)
    }

    /// Signs a note body (which must end with a newline) and returns the full note text.
    fn sign_note(&self, body: &str) -> String {
        let sig = self.key.sign(body.as_bytes());
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&key_hash(&self.name, &self.public_key()));
        blob.extend_from_slice(&sig.to_bytes());
        format!("{body}\n{SIG_PREFIX}{} {}\n", self.name, B64.encode(blob))
    }
}

/// A public key for checking signed notes: `<name>+<hex key hash>+<base64(0x01‖key)>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    hash: [u8; 4],
    key: ed25519_dalek::VerifyingKey,
}

impl VerifierKey {
    /// Parses the verifier key string, checking that the key hash matches.
    pub fn parse(s: &str) -> Result<VerifierKey, LedgerError> {
        let s = s.trim();
        // The base64 key may itself contain '+': split off only the leading fields.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(hash), Some(b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LedgerError::MalformedKey(
                "expected <name>+<hash>+<key>".into(),
            ));
        };
        check_key_name(name)?;
        let raw = B64
            .decode(b64)
            .map_err(|e| LedgerError::MalformedKey(format!("base64: {e}")))?;
        let (Some(&ALG_ED25519), Ok(pk)) = (
            raw.first(),
            <&[u8; 32]>::try_from(raw.get(1..).unwrap_or(&[])),
        ) else {
            return Err(LedgerError::MalformedKey(
                "not a 0x01-prefixed 32-byte Ed25519 public key".into(),
            ));
        };
        let key = ed25519_dalek::VerifyingKey::from_bytes(pk)
            .map_err(|e| LedgerError::MalformedKey(format!("Ed25519 key: {e}")))?;
        let kh = key_hash(name, pk);
        if hex4(kh) != hash {
            return Err(LedgerError::MalformedKey(
                "key hash does not match the key".into(),
            ));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            hash: kh,
            key,
        })
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Verifies a signed note and returns its body (ending in a newline). At least one
    /// signature must be by this key and valid; signatures by other keys (e.g. witness
    /// cosignatures) are ignored.
    pub fn open_note<'a>(&self, note: &'a str) -> Result<&'a str, LedgerError> {
        let (body, sigs) = split_note(note)?;
        let mut count = 0;
        let mut ok = false;
        for line in sigs.split_terminator('\n') {
            count += 1;
            if count > MAX_SIGNATURES {
                return Err(LedgerError::MalformedCheckpoint(
                    "too many signatures".into(),
                ));
            }
            let Some(rest) = line.strip_prefix(SIG_PREFIX) else {
                return Err(LedgerError::MalformedCheckpoint(format!(
                    "signature line does not start with an em dash: {line:?}"
                )));
            };
            let Some((name, b64)) = rest.split_once(' ') else {
                return Err(LedgerError::MalformedCheckpoint(format!(
                    "malformed signature line {line:?}"
                )));
            };
            check_key_name(name).map_err(|e| LedgerError::MalformedCheckpoint(e.to_string()))?;
            let blob = B64
                .decode(b64)
                .map_err(|e| LedgerError::MalformedCheckpoint(format!("signature base64: {e}")))?;
            if blob.len() < 5 {
                return Err(LedgerError::MalformedCheckpoint(
                    "signature too short".into(),
                ));
            }
            if name != self.name || blob[..4] != self.hash {
                continue;
            }
            let Ok(sig) = ed25519_dalek::Signature::from_slice(&blob[4..]) else {
                continue;
            };
            if self.key.verify(body.as_bytes(), &sig).is_ok() {
                ok = true;
            }
        }
        if ok {
            Ok(body)
        } else {
            Err(LedgerError::BadSignature(self.name.clone()))
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = [0u8; 33];
        raw[0] = ALG_ED25519;
        raw[1..].copy_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex4(self.hash), B64.encode(raw))
    }
}

/// Splits note text into body (with its final newline) and signature block.
fn split_note(note: &str) -> Result<(&str, &str), LedgerError> {
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(LedgerError::MalformedCheckpoint(
            "control character in note".into(),
        ));
    }
    if !note.ends_with('\n') {
        return Err(LedgerError::MalformedCheckpoint(
            "note does not end with a newline".into(),
        ));
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err(LedgerError::MalformedCheckpoint(
            "note has no signature block".into(),
        ));
    };
    let body = &note[..=split];
    let sigs = &note[split + 2..];
    if sigs.is_empty() {
        return Err(LedgerError::MalformedCheckpoint(
            "note has no signatures".into(),
        ));
    }
    Ok((body, sigs))
}

/// SHA-256 of a full note text (body and signatures); what the next checkpoint's `prev`
/// line records.
pub fn note_hash(note_text: &str) -> Hash {
    sha256(note_text.as_bytes())
}

/// The content of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log identity, e.g. `anzen.example.jp/ledger/org-42`. Checked by verifiers so that a
    /// checkpoint of one ledger can not be passed off for another.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// Tree root at `size`.
    pub root: Hash,
    /// [`note_hash`] of the previous checkpoint note; `None` for the first.
    pub prev: Option<Hash>,
    /// Signing time, Unix seconds (UTC).
    pub time_unix: i64,
}

impl Checkpoint {
    /// The note body (unsigned text, ending with a newline).
    pub fn body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        if let Some(p) = self.prev {
            s.push_str(&format!("prev {}\n", p.to_base64()));
        }
        s.push_str(&format!("time {}\n", format_rfc3339(self.time_unix)));
        s
    }

    /// Signs and returns the full note text.
    ///
    /// # Panics
    /// If the origin is empty or contains a newline or other control character — a
    /// programming error, since origins come from configuration.
    pub fn sign(&self, key: &SigningKey) -> String {
        assert!(
            !self.origin.is_empty() && !self.origin.chars().any(char::is_control),
            "invalid checkpoint origin {:?}",
            self.origin
        );
        key.sign_note(&self.body())
    }

    /// Verifies the signature with `key` and parses the checkpoint.
    pub fn open(note_text: &str, key: &VerifierKey) -> Result<Checkpoint, LedgerError> {
        let body = key.open_note(note_text)?;
        Checkpoint::parse_body(body)
    }

    /// Parses a note WITHOUT checking any signature: for display and diagnostics only.
    pub fn parse_unverified(note_text: &str) -> Result<Checkpoint, LedgerError> {
        let (body, _) = split_note(note_text)?;
        Checkpoint::parse_body(body)
    }

    fn parse_body(body: &str) -> Result<Checkpoint, LedgerError> {
        let bad = |m: String| LedgerError::MalformedCheckpoint(m);
        let mut lines = body.split_terminator('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("missing origin".into()))?;
        let size_s = lines.next().ok_or_else(|| bad("missing size".into()))?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad(format!("bad tree size {size_s:?}")));
        }
        let size: u64 = size_s
            .parse()
            .map_err(|_| bad(format!("bad tree size {size_s:?}")))?;
        let root_s = lines
            .next()
            .ok_or_else(|| bad("missing root hash".into()))?;
        let root = Hash::from_base64(root_s).map_err(|e| bad(format!("root hash: {e}")))?;
        let mut prev = None;
        let mut time = None;
        for line in lines {
            if line.is_empty() {
                return Err(bad("empty line in checkpoint body".into()));
            }
            if let Some(v) = line.strip_prefix("prev ") {
                if prev.is_some() {
                    return Err(bad("duplicate prev line".into()));
                }
                let h = Hash::from_base64(v).map_err(|e| bad(format!("prev hash: {e}")))?;
                prev = Some(h);
            } else if let Some(v) = line.strip_prefix("time ") {
                if time.is_some() {
                    return Err(bad("duplicate time line".into()));
                }
                time = Some(parse_time(v).ok_or_else(|| bad(format!("bad time {v:?}")))?);
            }
            // Other extension lines are allowed by C2SP and ignored here.
        }
        let time_unix = time.ok_or_else(|| bad("missing time line".into()))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            prev: prev.filter(|h| *h != Hash::ZERO),
            time_unix,
        })
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Accepts `YYYY-MM-DDTHH:MM:SSZ` or decimal Unix seconds.
fn parse_time(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let p = s.get(r)?;
        if p.bytes().all(|c| c.is_ascii_digit()) {
            p.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    if civil_from_days(days) != (y, mo, d) {
        return None; // e.g. February 30
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn time_round_trip() {
        for t in [0i64, 1, 86_399, 951_782_400, 1_777_777_777, 4_102_444_800] {
            assert_eq!(parse_time(&format_rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse_time("2023-02-30T00:00:00Z"), None);
        assert_eq!(parse_time("12345"), Some(12345));
    }
}
