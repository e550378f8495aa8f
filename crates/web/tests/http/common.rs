//! Harness: seeds two organisations on a fresh database of every backend, runs the real
//! server on a real TCP listener (port 0) and talks to it over HTTP.
//!
//! Store calls from inside the runtime go through `spawn_blocking` (the synchronous
//! PostgreSQL client must not run on an async worker).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anzen_core::{OrgId, OrgKind, Role, UserId};
use anzen_store::ledger::{self, EntryQuery, StoredEntry};
use anzen_store::orgs::{self, Org, OrgProfile};
use anzen_store::testing::{self, TestDb};
use anzen_store::{Conn, Store, StoreError, tokens, users};
use anzen_web::{AppState, WebConfig};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use totp_rs::{Builder, Secret, Totp};

/// The password every seeded user has (passes the default policy).
pub const PASSWORD: &str = "Kq7#vLw2!pZr9xTm";

/// Something of organisation B that must never show up in A's responses.
pub const B_NAME: &str = "別組織総合病院ZETA";
pub const B_ADDRESS: &str = "東京都千代田区秘密町9-9-9";
pub const B_ADMIN: &str = "admin@b-zeta.example.jp";
pub const A_NAME: &str = "あんぜん内科クリニック";

/// One seeded user.
#[derive(Clone)]
pub struct SeedUser {
    pub id: UserId,
    pub email: String,
    pub totp_secret: String,
}

/// What every test starts with.
#[derive(Clone)]
pub struct Seed {
    pub a: Org,
    pub b: Org,
    /// Users of A, one per role.
    pub a_users: HashMap<Role, SeedUser>,
    /// A member of A (staff) that administrators may change and remove.
    pub a_target: SeedUser,
    pub b_admin: SeedUser,
}

impl Seed {
    pub fn a_user(&self, role: Role) -> &SeedUser {
        &self.a_users[&role]
    }
}

fn email_for(role: Role) -> String {
    format!("{}@a-anzen.example.jp", role.code().replace('_', "-"))
}

fn make_user(c: &mut Conn, email: &str, name: &str, hash: &str) -> Result<SeedUser, StoreError> {
    let u = users::create(c, email, name, hash)?;
    let secret = Secret::generate().to_base32();
    users::set_totp(c, u.id, Some(&secret))?;
    Ok(SeedUser {
        id: u.id,
        email: u.email,
        totp_secret: secret,
    })
}

fn seed(store: &Store) -> Seed {
    let hash = anzen_web::hash_password(PASSWORD).expect("hash");
    store
        .write(|c| -> Result<Seed, StoreError> {
            let mut pa = OrgProfile::new(A_NAME, OrgKind::Clinic);
            pa.prefecture = Some("神奈川県".into());
            pa.address = Some("横浜市中区安全町1-1".into());
            let a = orgs::create(c, &pa)?;
            let mut pb = OrgProfile::new(B_NAME, OrgKind::Hospital);
            pb.beds = Some(250);
            pb.address = Some(B_ADDRESS.into());
            pb.security_officer = Some("乙野秘密".into());
            let b = orgs::create(c, &pb)?;
            let mut a_users = HashMap::new();
            for role in Role::ALL {
                let u = make_user(c, &email_for(role), role.label_ja(), &hash)?;
                orgs::add_member(c, a.id, u.id, role)?;
                a_users.insert(role, u);
            }
            let a_target = make_user(c, "target@a-anzen.example.jp", "対象 太郎", &hash)?;
            orgs::add_member(c, a.id, a_target.id, Role::Staff)?;
            let b_admin = make_user(c, B_ADMIN, "乙野 管理", &hash)?;
            orgs::add_member(c, b.id, b_admin.id, Role::Admin)?;
            Ok(Seed {
                a,
                b,
                a_users,
                a_target,
                b_admin,
            })
        })
        .expect("seed")
}

/// Default configuration for tests: a generous rate limit (every client is 127.0.0.1).
pub fn test_config() -> WebConfig {
    WebConfig {
        login_rate_per_minute: 1000,
        ..WebConfig::default()
    }
}

/// A running server on one backend.
#[derive(Clone)]
pub struct App {
    pub backend: &'static str,
    pub base: String,
    pub store: Store,
    pub seed: Seed,
    /// Checks the checkpoints the server signs (the inspection pack signs on demand).
    pub ledger_key: anzen_ledger::VerifierKey,
    /// Last TOTP step used per user (each step is accepted once).
    steps: Arc<Mutex<HashMap<i64, u64>>>,
}

/// Runs `test` once per backend, each time on a fresh database with a fresh server.
pub fn run<F, Fut>(config: WebConfig, test: F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in testing::all() {
        run_on(&db, config.clone(), &test);
    }
}

fn run_on<F, Fut>(db: &TestDb, config: WebConfig, test: &F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()>,
{
    eprintln!("--- backend: {}", db.backend);
    let seed = seed(&db.store);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let key = anzen_ledger::SigningKey::generate("anzen.test").expect("ledger key");
        let ledger_key = key.verifier_key();
        let state = AppState::new(db.store.clone(), config).with_checkpointer(
            anzen_store::ledger::Checkpointer {
                key: Arc::new(key),
                origin_prefix: "anzen.test/ledger".into(),
                every_entries: u64::MAX,
                every: Duration::from_secs(86_400),
            },
        );
        tokio::spawn(anzen_web::serve(listener, state, async {
            let _ = rx.await;
        }));
        let app = App {
            backend: db.backend,
            base: format!("http://{addr}"),
            store: db.store.clone(),
            seed,
            ledger_key,
            steps: Arc::new(Mutex::new(HashMap::new())),
        };
        test(app).await;
        let _ = tx.send(());
    });
    rt.shutdown_timeout(Duration::from_secs(2));
}

/// A signed-in (or signing-in) browser.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub csrf: String,
    /// The raw session id from `Set-Cookie` (to replay it after logout).
    pub session_id: String,
    pub base: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// `name="csrf" value="…"` from a page.
pub fn scrape_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The text between `start` and the next `end` after it.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let s = html.find(start)? + start.len();
    let e = html[s..].find(end)? + s;
    Some(&html[s..e])
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn totp(secret: &str) -> Totp {
    Builder::new()
        .with_secret(Secret::try_from_base32(secret).expect("secret"))
        .build()
        .expect("totp")
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs store work off the runtime.
    pub async fn db<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.write(f))
            .await
            .expect("blocking task")
            .expect("store")
    }

    /// The organisation's ledger, newest first.
    pub async fn ledger(&self, org: OrgId) -> Vec<StoredEntry> {
        self.db(move |c| ledger::list(c, org, &EntryQuery::default()))
            .await
    }

    /// A fresh TOTP code for `user` from a time step not used before (waits when the
    /// current and next steps are both used up).
    pub async fn fresh_code(&self, user: &SeedUser) -> String {
        let t = totp(&user.totp_secret);
        loop {
            let now_step = unix_now() / 30;
            let step = {
                let mut steps = self.steps.lock().expect("steps");
                let last = steps.get(&user.id.0).copied();
                let step = last.map_or(now_step, |l| (l + 1).max(now_step));
                if step <= now_step + 1 {
                    steps.insert(user.id.0, step);
                    Some(step)
                } else {
                    None
                }
            };
            match step {
                Some(step) => return t.generate(step * 30).to_string(),
                None => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// Password step only; returns the browser (before the second factor) and the response.
    pub async fn password_step(&self, email: &str, password: &str) -> (Browser, reqwest::Response) {
        let client = client();
        let res = client
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("POST /login");
        let session_id = res
            .cookies()
            .find(|c| c.name() == "anzen_session")
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        (
            Browser {
                client,
                csrf: String::new(),
                session_id,
                base: self.base.clone(),
            },
            res,
        )
    }

    /// Signs `user` in with `password` and a fresh TOTP code. Panics unless both steps pass.
    pub async fn sign_in_with(&self, user: &SeedUser, password: &str) -> Browser {
        let (mut b, res) = self.password_step(&user.email, password).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "[{}] POST /login for {}",
            self.backend,
            user.email
        );
        assert_eq!(location(&res), "/mfa");
        let page = b.get("/mfa").await;
        assert_eq!(page.status(), StatusCode::OK, "[{}] GET /mfa", self.backend);
        b.csrf = scrape_csrf(&page.text().await.expect("body")).expect("csrf on /mfa");
        let code = self.fresh_code(user).await;
        let res = b.post("/mfa", &[("code", code.as_str())]).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "[{}] POST /mfa for {}",
            self.backend,
            user.email
        );
        assert_eq!(location(&res), "/");
        b
    }

    pub async fn sign_in(&self, user: &SeedUser) -> Browser {
        self.sign_in_with(user, PASSWORD).await
    }

    /// Creates an API token directly in the store.
    pub async fn token(
        &self,
        user: UserId,
        org: OrgId,
        scopes: &'static [&'static str],
        expires_at: i64,
    ) -> (i64, String) {
        self.db(move |c| {
            let (t, secret) = tokens::create(c, user, org, "test", scopes, expires_at)?;
            Ok((t.id, secret))
        })
        .await
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::Response {
        client()
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("api request")
    }
}

/// One day from now, in microseconds.
pub fn in_a_day() -> i64 {
    anzen_store::now_us() + 86_400_000_000
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// POSTs a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    pub async fn text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        (r.status(), r.text().await.expect("body"))
    }
}

/// A valid facility-profile form for organisation `name`.
pub fn profile_form(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("kind", "clinic".to_owned()),
        ("beds", "19".to_owned()),
        ("prefecture", "神奈川県".to_owned()),
        ("address", "横浜市中区安全町1-1".to_owned()),
        ("security_officer", "安全 花子".to_owned()),
        ("security_officer_contact", "内線100".to_owned()),
        ("ciso", String::new()),
        ("csirt", String::new()),
    ]
}

pub fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
