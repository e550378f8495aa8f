//! Signed-note checkpoints: round trip, tampering, wrong keys, key files.
#![allow(clippy::unwrap_used)]

use anzen_ledger::checkpoint::format_rfc3339;
use anzen_ledger::hash::sha256;
use anzen_ledger::{Checkpoint, LedgerError, SigningKey, VerifierKey, note_hash};

fn key(name: &str, seed: u8) -> SigningKey {
    SigningKey::from_seed(name, &[seed; 32]).unwrap()
}

fn cp() -> Checkpoint {
    Checkpoint {
        origin: "anzen.example.jp/ledger/org-1".into(),
        size: 12345,
        root: sha256(b"root"),
        prev: Some(sha256(b"prev note")),
        time_unix: 1_777_777_777,
    }
}

#[test]
fn sign_open_round_trip() {
    let k = key("anzen.example.jp", 7);
    let vk = k.verifier_key();
    let note = cp().sign(&k);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], "anzen.example.jp/ledger/org-1");
    assert_eq!(lines[1], "12345");
    assert_eq!(lines[2], sha256(b"root").to_base64());
    assert!(lines[3].starts_with("prev "));
    assert_eq!(lines[4], format!("time {}", format_rfc3339(1_777_777_777)));
    assert_eq!(lines[5], "");
    assert!(lines[6].starts_with("\u{2014} anzen.example.jp "));
    assert_eq!(Checkpoint::open(&note, &vk).unwrap(), cp());
    // The verifier key string round-trips.
    let s = vk.to_string();
    assert!(s.starts_with("anzen.example.jp+"));
    assert_eq!(VerifierKey::parse(&s).unwrap(), vk);
    // First checkpoint: no prev line.
    let first = Checkpoint { prev: None, ..cp() };
    let n1 = first.sign(&k);
    assert!(!n1.contains("\nprev "));
    assert_eq!(Checkpoint::open(&n1, &vk).unwrap(), first);
    assert_ne!(note_hash(&n1), note_hash(&note));
}

#[test]
fn tampered_note_fails() {
    let k = key("anzen.example.jp", 7);
    let vk = k.verifier_key();
    let note = cp().sign(&k);
    for (from, to) in [
        ("12345", "12346"),
        ("org-1", "org-2"),
        ("time 2026", "time 2025"),
    ] {
        let bad = note.replacen(from, to, 1);
        assert_ne!(bad, note);
        assert!(
            matches!(
                Checkpoint::open(&bad, &vk),
                Err(LedgerError::BadSignature(_))
            ),
            "{from} -> {to}"
        );
    }
    // Flip a bit in the signature.
    let sig_at = note.rfind(' ').unwrap() + 5;
    let mut bytes = note.clone().into_bytes();
    bytes[sig_at] = if bytes[sig_at] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bytes).unwrap();
    assert!(Checkpoint::open(&bad, &vk).is_err());
    // Structural damage.
    assert!(Checkpoint::open(note.trim_end(), &vk).is_err());
    assert!(Checkpoint::open(&note.replace("\n\n", "\n"), &vk).is_err());
    assert!(Checkpoint::open("", &vk).is_err());
}

#[test]
fn wrong_key_fails_and_cosignatures_are_ignored() {
    let k = key("anzen.example.jp", 7);
    let other = key("anzen.example.jp", 8);
    let other_name = key("someone.else", 7);
    let note = cp().sign(&k);
    assert!(Checkpoint::open(&note, &other.verifier_key()).is_err());
    assert!(Checkpoint::open(&note, &other_name.verifier_key()).is_err());
    // A second (witness) signature line by another key does not disturb verification.
    let cosigned = other_name.verifier_key();
    let extra = cp().sign(&other_name);
    let extra_sig = extra.lines().last().unwrap();
    let both = format!("{note}{extra_sig}\n");
    assert_eq!(Checkpoint::open(&both, &k.verifier_key()).unwrap(), cp());
    assert_eq!(Checkpoint::open(&both, &cosigned).unwrap(), cp());
}

#[test]
fn malformed_bodies_rejected() {
    let k = key("anzen.example.jp", 7);
    let vk = k.verifier_key();
    assert!(VerifierKey::parse("name+00000000+AAAA").is_err());
    assert!(VerifierKey::parse(&vk.to_string().replace('+', " ")).is_err());
    let mut wrong_hash = vk.to_string();
    let plus = wrong_hash.find('+').unwrap();
    wrong_hash.replace_range(plus + 1..plus + 9, "00000000");
    assert!(VerifierKey::parse(&wrong_hash).is_err());
    assert!(SigningKey::from_seed("bad name", &[1; 32]).is_err());
    assert!(SigningKey::from_seed("bad+name", &[1; 32]).is_err());
    assert!(SigningKey::from_seed("", &[1; 32]).is_err());
    // Leading zeros in the size are not canonical.
    let note = cp().sign(&k).replacen("\n12345\n", "\n012345\n", 1);
    assert!(Checkpoint::parse_unverified(&note).is_err());
}

#[test]
fn key_files() {
    let dir = std::env::temp_dir().join(format!("anzen-ledger-key-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ledger.key");
    let k = SigningKey::generate("anzen.test").unwrap();
    k.save_to_file(&path).unwrap();
    // Never overwrite an existing key.
    assert!(matches!(
        k.save_to_file(&path),
        Err(LedgerError::KeyFileIo { .. })
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let back = SigningKey::load_from_file(&path).unwrap();
    assert_eq!(back.public_key(), k.public_key());
    assert_eq!(back.verifier_key(), k.verifier_key());
    // Debug output never contains the secret key string.
    // `PRIVATE+KEY+<name>+<hash>+<base64 key>`: the base64 part may itself contain `+`, so
    // take everything after the fourth `+` (splitting on the last `+` made this test flaky).
    let secret = k.to_key_string();
    let key_part = secret
        .splitn(5, '+')
        .nth(4)
        .expect("key string has five parts");
    assert!(key_part.len() > 40, "{key_part}");
    assert!(!format!("{k:?}").contains(key_part));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            SigningKey::load_from_file(&path),
            Err(LedgerError::KeyFilePermissions { .. })
        ));
    }
    // The Go note private-key format round-trips and checks its hash.
    assert_eq!(
        SigningKey::from_key_string(&secret).unwrap().public_key(),
        k.public_key()
    );
    let mut bad = secret.to_string();
    bad.replace_range(12..13, "X");
    assert!(SigningKey::from_key_string(&bad).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn key_strings_round_trip_for_many_keys() {
    // Base64 key material often contains '+', the field separator of key strings.
    for seed in 0..=255u8 {
        let k = SigningKey::from_seed("anzen.test", &[seed; 32]).unwrap();
        let vk = k.verifier_key();
        assert_eq!(VerifierKey::parse(&vk.to_string()).unwrap(), vk);
        let back = SigningKey::from_key_string(&k.to_key_string()).unwrap();
        assert_eq!(back.public_key(), k.public_key());
    }
}
