//! Credentials: Argon2id password hashes, TOTP (RFC 6238) with replay refusal, recovery
//! codes, and the sign-in rate limiter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use totp_rs::{Builder, Secret, Totp};

use crate::AppError;

/// Hashes a password with Argon2id (default parameters: m=19 MiB, t=2, p=1, OWASP's choice).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// [`hash_password`] on a blocking thread (Argon2 must not stall the async workers).
pub async fn hash_password_off_thread(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash. Unparseable hashes never verify.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same work as a real verification when the user does not exist, so that the
/// response time does not reveal which e-mail addresses have accounts.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy =
        DUMMY.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default());
    let _ = verify_password(password, dummy);
}

/// A new random TOTP secret, base32.
pub fn new_totp_secret() -> String {
    Secret::generate().to_base32()
}

pub fn totp(secret_b32: &str, issuer: &str, account: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| AppError::Internal(format!("bad stored TOTP secret: {e:?}")))?;
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|e| AppError::Internal(format!("totp: {e:?}")))
}

/// The time step a code belongs to (±1 step of clock skew), or None when it is wrong.
/// The caller must still refuse a step that was already used (see `users::accept_totp_step`).
pub fn totp_step(t: &Totp, code: &str, now_unix: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.check(&code, now_unix).and_then(|s| i64::try_from(s).ok())
}

/// The QR code of the otpauth URL, as a PNG data URL for an `<img>`.
pub fn totp_qr_data_url(t: &Totp) -> Result<String, AppError> {
    t.to_qr_base64()
        .map(|b64| format!("data:image/png;base64,{b64}"))
        .map_err(|e| AppError::Internal(format!("qr: {e:?}")))
}

/// Ten one-time recovery codes (`xxxx-xxxx-xxxx`, 48 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    (0..10)
        .map(|_| {
            let h = anzen_store::random_hex(6);
            format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12])
        })
        .collect()
}

/// Recovery codes are high-entropy random, so a plain SHA-256 is a sufficient hash.
pub fn recovery_code_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    anzen_store::token_hash(&normalized)
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Sliding-window limit of sign-in attempts per client address.
pub struct RateLimiter {
    per_minute: usize,
    seen: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl RateLimiter {
    pub fn new(per_minute: usize) -> Self {
        RateLimiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt; false when the address is over its limit.
    pub fn allow(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return true };
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut seen = match self.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if seen.len() > 10_000 {
            seen.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
        let v = seen.entry(ip).or_default();
        v.retain(|t| now.duration_since(*t) < window);
        if v.len() >= self.per_minute {
            return false;
        }
        v.push(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let h = hash_password("正しい馬バッテリー留め金-2025").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正しい馬バッテリー留め金-2025", &h));
        assert!(!verify_password("正しい馬バッテリー留め金-2026", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn totp_accepts_current_code_and_rejects_others() {
        let secret = new_totp_secret();
        let t = totp(&secret, "anzen", "a@example.jp").expect("totp");
        let now = 1_800_000_000;
        let code = t.generate(now).to_string();
        let step = totp_step(&t, &code, now).expect("valid");
        assert_eq!(step, (now / 30) as i64);
        assert!(
            totp_step(&t, &code, now + 3600).is_none(),
            "an old code is refused"
        );
        assert!(totp_step(&t, "12345", now).is_none());
        assert!(totp_step(&t, "abcdef", now).is_none());
    }

    #[test]
    fn rate_limiter_blocks_after_limit() {
        let l = RateLimiter::new(3);
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert!(l.allow(Some(ip)) && l.allow(Some(ip)) && l.allow(Some(ip)));
        assert!(!l.allow(Some(ip)));
        assert!(l.allow(Some([127, 0, 0, 2].into())));
    }

    #[test]
    fn recovery_codes_are_unique_and_hash_normalised() {
        let codes = new_recovery_codes();
        let mut d = codes.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 10);
        assert_eq!(
            recovery_code_hash("ABCD-ef01-2345"),
            recovery_code_hash("abcdef012345")
        );
    }
}
