//! Uploads waiting between a preview and its confirmation: kept in memory under a random
//! token bound to the organisation and the user, for [`TTL`]. A restart only means
//! uploading again; nothing is stored before the user confirms.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long an upload waits for its confirmation.
pub const TTL: Duration = Duration::from_secs(30 * 60);

/// At most this many uploads wait at once (server-wide).
pub const MAX_WAITING: usize = 64;

/// The refusal when a token is unknown, expired or someone else's.
pub const GONE_JA: &str = "取り込み中のファイルが見つかりません（30分を過ぎたか、サーバーが再起動しました）。もう一度アップロードしてください。";

struct Entry {
    org: i64,
    user: String,
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

fn map() -> &'static Mutex<HashMap<String, Entry>> {
    static MAP: OnceLock<Mutex<HashMap<String, Entry>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Keeps `value` for `org` and `user`; returns its token.
pub fn put<T: Any + Send + Sync>(org: i64, user: &str, value: T) -> String {
    let token = anzen_store::random_hex(16);
    let mut m = map().lock().unwrap_or_else(|p| p.into_inner());
    m.retain(|_, e| e.at.elapsed() < TTL);
    // Bounded: uploads are up to 20 MB each; the oldest waiting one gives way.
    while m.len() >= MAX_WAITING {
        let Some(oldest) = m.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone()) else {
            break;
        };
        m.remove(&oldest);
    }
    m.insert(
        token.clone(),
        Entry {
            org,
            user: user.to_owned(),
            at: Instant::now(),
            value: Arc::new(value),
        },
    );
    token
}

/// The value under `token` if it belongs to `org` and `user`, is of type `T` and has not
/// expired.
pub fn get<T: Any + Send + Sync>(token: &str, org: i64, user: &str) -> Option<Arc<T>> {
    let m = map().lock().unwrap_or_else(|p| p.into_inner());
    let e = m.get(token)?;
    if e.org != org || e.user != user || e.at.elapsed() >= TTL {
        return None;
    }
    e.value.clone().downcast::<T>().ok()
}

/// Forgets `token` (after the confirmation).
pub fn forget(token: &str) {
    map()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(token);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_organisation_user_and_type_and_bounded() {
        let t = put(1, "a@example.jp", 42_u32);
        assert_eq!(get::<u32>(&t, 1, "a@example.jp").as_deref(), Some(&42));
        assert!(
            get::<u32>(&t, 2, "a@example.jp").is_none(),
            "other organisation"
        );
        assert!(get::<u32>(&t, 1, "b@example.jp").is_none(), "other user");
        assert!(get::<String>(&t, 1, "a@example.jp").is_none(), "other type");
        forget(&t);
        assert!(get::<u32>(&t, 1, "a@example.jp").is_none());
        let first = put(1, "a@example.jp", 0_u32);
        for i in 0..MAX_WAITING {
            put(1, "a@example.jp", u32::try_from(i).unwrap_or(0));
        }
        assert!(
            get::<u32>(&first, 1, "a@example.jp").is_none(),
            "the oldest gave way"
        );
        assert!(
            map()
                .lock()
                .map(|m| m.len() <= MAX_WAITING)
                .unwrap_or(false)
        );
    }
}
