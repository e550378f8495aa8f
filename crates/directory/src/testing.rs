//! A real OpenLDAP `slapd` with a generated directory, for tests (feature `testing`): this
//! crate's own tests and the CLI's and web's LDAP import tests start one with
//! [`Slapd::start`] (Debian package `slapd`).
//!
//! Each test starts its own `slapd` on 127.0.0.1 in a temporary directory: a generated
//! `slapd.conf` (mdb database; the `ppolicy` and `lastbind` overlays, so
//! `pwdChangedTime`, `pwdAccountLockedTime` and `authTimestamp` exist; a small custom
//! schema for 入職日, 退職日 and 二要素認証, which inetOrgPerson lacks), a CA and server
//! certificate generated with rcgen (LDAPS on one free port, StartTLS on the plain one),
//! and a generated directory loaded with `slapadd`: 20 staff in `ou=people` (one retired
//! and locked), a shared account in `ou=shared`, groups in `ou=groups`, a read-only
//! service account and a writer in `ou=services`, broken entries in `ou=broken` and
//! `ou=incomplete`. The ACL lets the service account read and nothing else. `slapd` is
//! killed (its whole process group) when the guard drops, also when a test panics.
//!
//! Without `slapd` the tests are skipped with a message, except when `CI` is set: there a
//! missing component is a failure naming the package. `ANZEN_SLAPD`, `ANZEN_SLAPADD`,
//! `ANZEN_SLAPD_MODULES` and `ANZEN_SLAPD_SCHEMA` override the Debian paths.

// A test fixture: it panics with the reason when the machine cannot run slapd, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use tempfile::TempDir;

use crate::{AttributeMap, DirectoryConfig, GroupRole, TimeAttribute};

pub const SUFFIX: &str = "dc=example,dc=jp";
pub const READER_DN: &str = "cn=reader,ou=services,dc=example,dc=jp";
pub const READER_PW: &str = "yomitori-Only-2025";
pub const WRITER_DN: &str = "cn=admin,ou=services,dc=example,dc=jp";
pub const WRITER_PW: &str = "kanri-Write-2025";
pub const SYSTEM: &str = "電子カルテ";

// ---------------------------------------------------------------------------------------
// Finding slapd

pub struct Tools {
    pub slapd: PathBuf,
    pub slapadd: PathBuf,
    pub modules: PathBuf,
    pub schema: PathBuf,
}

pub fn path_var(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The slapd tools, or `None` to skip (outside CI only).
pub fn tools() -> Option<Tools> {
    let t = Tools {
        slapd: path_var("ANZEN_SLAPD", "/usr/sbin/slapd"),
        slapadd: path_var("ANZEN_SLAPADD", "/usr/sbin/slapadd"),
        modules: path_var("ANZEN_SLAPD_MODULES", "/usr/lib/ldap"),
        schema: path_var("ANZEN_SLAPD_SCHEMA", "/etc/ldap/schema"),
    };
    let needed = [
        t.slapd.clone(),
        t.slapadd.clone(),
        t.modules.join("back_mdb.so"),
        t.modules.join("ppolicy.so"),
        t.modules.join("lastbind.so"),
        t.schema.join("inetorgperson.schema"),
        t.schema.join("msuser.schema"),
    ];
    let missing: Vec<String> = needed
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some(t);
    }
    let why = format!(
        "the LDAP tests need OpenLDAP's slapd ({} missing) — install the Debian package \
         `slapd` (`DEBIAN_FRONTEND=noninteractive apt-get install -y slapd`; \
         scripts/slapd-test.sh does)",
        missing.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("CI is set and a component is missing: {why}");
    }
    eprintln!("SKIPPED LDAP test: {why}");
    None
}

// ---------------------------------------------------------------------------------------
// The generated directory

/// One member of staff: account, roster row and groups.
pub struct Person {
    pub uid: &'static str,
    pub name: &'static str,
    pub staff_id: &'static str,
    pub title: &'static str,
    pub department: &'static str,
    pub groups: &'static [&'static str],
}

pub const fn p(
    uid: &'static str,
    name: &'static str,
    staff_id: &'static str,
    title: &'static str,
    department: &'static str,
    groups: &'static [&'static str],
) -> Person {
    Person {
        uid,
        name,
        staff_id,
        title,
        department,
        groups,
    }
}

pub const PEOPLE: [Person; 20] = [
    p(
        "tanaka",
        "田中 一郎",
        "S001",
        "医師",
        "内科",
        &["doctors", "it-admins"],
    ),
    p("suzuki", "鈴木 花子", "S002", "看護師", "内科", &["nurses"]),
    p("sato", "佐藤 次郎", "S003", "医師", "外科", &["doctors"]),
    p(
        "takahashi",
        "高橋 美咲",
        "S004",
        "看護師",
        "外科",
        &["nurses"],
    ),
    p("ito", "伊藤 健", "S005", "薬剤師", "薬剤部", &[]),
    p("watanabe", "渡辺 由美", "S006", "事務", "医事課", &[]),
    p(
        "yamamoto",
        "山本 大輔",
        "S007",
        "放射線技師",
        "放射線科",
        &[],
    ),
    p(
        "nakamura",
        "中村 さくら",
        "S008",
        "看護師",
        "小児科",
        &["nurses"],
    ),
    p(
        "kobayashi",
        "小林 誠",
        "S009",
        "医師",
        "小児科",
        &["doctors"],
    ),
    p("kato", "加藤 愛", "S010", "事務", "医事課", &[]),
    p("yoshida", "吉田 翔", "S011", "臨床検査技師", "検査科", &[]),
    p(
        "yamada",
        "山田 真由美",
        "S012",
        "看護師",
        "内科",
        &["nurses"],
    ),
    p(
        "sasaki",
        "佐々木 亮",
        "S013",
        "理学療法士",
        "リハビリテーション科",
        &[],
    ),
    p(
        "yamaguchi",
        "山口 恵",
        "S014",
        "事務",
        "総務課",
        &["it-admins"],
    ),
    p(
        "matsumoto",
        "松本 拓也",
        "S015",
        "医師",
        "整形外科",
        &["doctors"],
    ),
    p(
        "inoue",
        "井上 明美",
        "S016",
        "看護師",
        "整形外科",
        &["nurses"],
    ),
    p("kimura", "木村 悠", "S017", "薬剤師", "薬剤部", &[]),
    p("hayashi", "林 直樹", "S018", "事務", "医事課", &[]),
    p("shimizu", "清水 彩", "S019", "管理栄養士", "栄養科", &[]),
    p("mori", "森 幸子", "S020", "看護師", "外科", &["nurses"]),
];

/// The retired, locked member of staff (the last one).
pub const RETIRED: usize = 19;

pub fn person_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{SUFFIX}")
}

/// `pwdChangedTime` of person `i`: 00:00 UTC on day i+1 of January 2025 (09:00 JST,
/// the same date), except the first: 15:00 UTC on 31 March, already 1 April in JST.
pub fn pwd_changed(i: usize) -> String {
    if i == 0 {
        "20250331150000Z".to_owned()
    } else {
        format!("202501{:02}000000Z", i + 1)
    }
}

/// `authTimestamp` (lastbind) of person `i`: every other one has signed in, on day i+1 of
/// November 2025 at 14:00 UTC (23:00 JST, the same date).
pub fn last_bind(i: usize) -> Option<String> {
    i.is_multiple_of(2)
        .then(|| format!("202511{:02}140000Z", i + 1))
}

/// 二要素認証: doctors yes, the rest of the staff with a group no, the others unset.
pub fn mfa(person: &Person) -> Option<bool> {
    if person.groups.contains(&"doctors") {
        Some(true)
    } else if person.groups.is_empty() {
        None
    } else {
        Some(false)
    }
}

pub fn hired(i: usize) -> Date {
    Date::new(2010 + i16::try_from(i).unwrap_or(0), 4, 1).unwrap_or_default()
}

pub fn retired_on() -> Date {
    Date::new(2025, 3, 31).unwrap_or_default()
}

/// A custom auxiliary class for what inetOrgPerson lacks (a private-use OID arc).
pub const ANZEN_SCHEMA: &str = "\
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'anzenHired' DESC '入職日' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'anzenRetired' DESC '退職日' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'anzenMfa' DESC '二要素認証' EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'anzenPerson' AUXILIARY MAY ( anzenHired $ anzenRetired $ anzenMfa ) )
";

pub fn ldif() -> String {
    let mut l = String::new();
    let mut add = |text: &str| {
        l.push_str(text.trim());
        l.push_str("\n\n");
    };
    add(&format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example Clinic\ndc: example"
    ));
    for ou in [
        "people",
        "shared",
        "services",
        "groups",
        "broken",
        "incomplete",
        "ad",
        "dup",
    ] {
        add(&format!(
            "dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}"
        ));
    }
    for (dn, cn, pw) in [
        (READER_DN, "reader", READER_PW),
        (WRITER_DN, "admin", WRITER_PW),
    ] {
        add(&format!(
            "dn: {dn}\nobjectClass: person\ncn: {cn}\nsn: {cn}\nuserPassword: {pw}"
        ));
    }
    for (i, person) in PEOPLE.iter().enumerate() {
        let mut e = String::new();
        let surname = person.name.split(' ').next().unwrap_or(person.name);
        let _ = write!(
            e,
            "dn: {}\nobjectClass: inetOrgPerson\nobjectClass: anzenPerson\nuid: {}\ncn: {}\n\
             sn: {surname}\nemployeeNumber: {}\ntitle: {}\ndepartmentNumber: {}\n\
             userPassword: pw-{}\nanzenHired: {}\npwdChangedTime: {}\n",
            person_dn(person.uid),
            person.uid,
            person.name,
            person.staff_id,
            person.title,
            person.department,
            person.uid,
            hired(i),
            pwd_changed(i),
        );
        if let Some(t) = last_bind(i) {
            let _ = writeln!(e, "authTimestamp: {t}");
        }
        if let Some(m) = mfa(person) {
            let _ = writeln!(e, "anzenMfa: {}", if m { "TRUE" } else { "FALSE" });
        }
        if i == RETIRED {
            // Retired in the roster, written as a GeneralizedTime; locked for good by ppolicy.
            let _ = writeln!(e, "anzenRetired: 20250331000000+0900");
            let _ = writeln!(e, "pwdAccountLockedTime: 000001010000Z");
        }
        add(&e);
    }
    add(&format!(
        "dn: uid=reception,ou=shared,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: reception\n\
         cn: 受付共用\nsn: 受付"
    ));
    for (group, members) in ["doctors", "nurses", "it-admins"].map(|g| {
        let members: Vec<String> = PEOPLE
            .iter()
            .filter(|p| p.groups.contains(&g))
            .map(|p| format!("member: {}", person_dn(p.uid)))
            .collect();
        (g, members)
    }) {
        add(&format!(
            "dn: cn={group},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {group}\n{}",
            members.join("\n")
        ));
    }
    for e in ad_entries() {
        add(&e);
    }
    // The same uid and employeeNumber in two branches, with different titles (`account`,
    // not inetOrgPerson, so that the other searches pass them by).
    for branch in ["a", "b"] {
        add(&format!(
            "dn: ou={branch},ou=dup,{SUFFIX}\nobjectClass: organizationalUnit\nou: {branch}"
        ));
        add(&format!(
            "dn: uid=same,ou={branch},ou=dup,{SUFFIX}\nobjectClass: account\nobjectClass: extensibleObject\nuid: same\n\
             cn: 同名 {branch}\nsn: 同名\nemployeeNumber: D001\ntitle: 職種{branch}"
        ));
    }
    // A member of staff whose 入職日 is not a date.
    add(&format!(
        "dn: cn=broken,ou=broken,{SUFFIX}\nobjectClass: inetOrgPerson\nobjectClass: anzenPerson\n\
         cn: broken\nsn: 壊れ\nemployeeNumber: B001\ntitle: 事務\nanzenHired: 昨年の春"
    ));
    // One complete entry and one without 職種 (title).
    add(&format!(
        "dn: cn=complete,ou=incomplete,{SUFFIX}\nobjectClass: inetOrgPerson\ncn: complete\n\
         sn: 完全\nemployeeNumber: C001\ntitle: 事務"
    ));
    add(&format!(
        "dn: cn=notitle,ou=incomplete,{SUFFIX}\nobjectClass: inetOrgPerson\ncn: notitle\n\
         sn: 不足\nemployeeNumber: C002"
    ));
    l
}

// Active Directory-shaped entries: OpenLDAP's `msuser.schema` (AD's attribute names and
// syntaxes; `extensibleObject` stands in for AD's auxiliary classes that it lacks, such
// as the one that allows sAMAccountName).

/// FILETIME (100 ns since 1601 UTC) of an RFC 3339 time.
pub fn filetime(rfc3339: &str) -> String {
    let ts: jiff::Timestamp = rfc3339.parse().expect("a time");
    (ts.as_microsecond() * 10 + 116_444_736_000_000_000).to_string()
}

pub const AD_GROUPS: &str = "OU=Groups,DC=clinic,DC=local";

pub fn ad_entries() -> Vec<String> {
    let ms = "instanceType: 4\nnTSecurityDescriptor:: AQAEgA==\n\
              objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=clinic,DC=local";
    let user = |cn: &str, rest: &str| {
        format!(
            "dn: CN={cn},ou=ad,{SUFFIX}\nobjectClass: user\nobjectClass: extensibleObject\n\
             {ms}\ncn: {cn}\nsn: {cn}\n{}",
            rest.trim()
        )
    };
    vec![
        // Enabled (512); the password changed at 15:30 UTC on 31 March = 1 April JST.
        user(
            "Tanaka Ichiro",
            &format!(
                "sAMAccountName: t.tanaka\ndisplayName: 田中 一郎\nemployeeID: S001\n\
                 title: 医師\ndepartment: 内科\nuserAccountControl: 512\n\
                 pwdLastSet: {}\nlastLogonTimestamp: {}\n\
                 memberOf: CN=EHR-Doctors,{AD_GROUPS}\nmemberOf: CN=Domain Admins,CN=Users,DC=clinic,DC=local",
                filetime("2025-03-31T15:30:00Z"),
                filetime("2025-11-20T01:00:00Z"),
            ),
        ),
        // Disabled (514 = 512 | ACCOUNTDISABLE); must change the password (pwdLastSet 0).
        user(
            "Suzuki Hanako",
            "sAMAccountName: h.suzuki\ndisplayName: 鈴木 花子\nemployeeID: S002\n\
                 title: 看護師\ndepartment: 外科\nuserAccountControl: 514\npwdLastSet: 0\n\
                 memberOf: cn=ehr-nurses,ou=groups,dc=clinic,dc=local",
        ),
        // The same person's administrative account: the same employeeID and roster row.
        user(
            "adm-Tanaka",
            "sAMAccountName: adm-t.tanaka\ndisplayName: 田中 一郎\nemployeeID: S001\n\
             title: 医師\ndepartment: 内科\nuserAccountControl: 512\n\
             memberOf: CN=Domain Admins,CN=Users,DC=clinic,DC=local",
        ),
        // A service account: password never expires (66048 = 512 | 65536), no employee ID,
        // never signed in (the maximum FILETIME).
        user(
            "svc-backup",
            &format!(
                "sAMAccountName: svc-backup\ndisplayName: バックアップ\nuserAccountControl: 66048\n\
                 pwdLastSet: {}\nlastLogonTimestamp: 9223372036854775807",
                filetime("2024-12-31T14:59:59Z"),
            ),
        ),
    ]
}

pub fn slapd_conf(t: &Tools, dir: &Path) -> String {
    let schema = |name: &str| t.schema.join(name).display().to_string();
    format!(
        "include {core}
include {cosine}
include {inetorg}
include {nis}
include {msuser}
include {anzen}
modulepath {modules}
moduleload back_mdb
moduleload ppolicy
moduleload lastbind
pidfile {dir}/slapd.pid
TLSCACertificateFile {dir}/ca.pem
TLSCertificateFile {dir}/server.pem
TLSCertificateKeyFile {dir}/server.key

database mdb
maxsize 16777216
suffix \"{SUFFIX}\"
directory {dir}/db
overlay ppolicy
overlay lastbind
# Like AD's MaxPageSize: at most 10 entries per search or page for the service account,
# any number over the pages of a paged search.
limits dn.exact=\"{READER_DN}\" size.soft=10 size.hard=10 size.pr=10 size.prtotal=unlimited

access to attrs=userPassword
  by dn.exact=\"{WRITER_DN}\" write
  by anonymous auth
  by * none
access to *
  by dn.exact=\"{WRITER_DN}\" write
  by dn.exact=\"{READER_DN}\" read
  by * none
",
        core = schema("core.schema"),
        cosine = schema("cosine.schema"),
        inetorg = schema("inetorgperson.schema"),
        nis = schema("nis.schema"),
        msuser = schema("msuser.schema"),
        anzen = dir.join("anzen.schema").display(),
        modules = t.modules.display(),
        dir = dir.display(),
    )
}

// ---------------------------------------------------------------------------------------
// Certificates

pub struct Pki {
    pub ca_pem: String,
    pub server_pem: String,
    pub server_key: String,
}

/// A CA and a server certificate for 127.0.0.1 and localhost, signed by it.
pub fn pki(name: &str) -> Result<Pki, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate()?;
    let mut server = CertificateParams::new(vec!["localhost".to_owned()])?;
    server
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    server
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = server.signed_by(&key, &issuer)?;
    Ok(Pki {
        ca_pem: ca_cert.pem(),
        server_pem: cert.pem(),
        server_key: key.serialize_pem(),
    })
}

// ---------------------------------------------------------------------------------------
// The server

/// A child process in its own process group; the group is killed on drop.
pub struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of slapd ({}):\n{}\n---",
                self.log.display(),
                self.log_tail()
            );
        }
        // The process group id is the child's pid (process_group(0)).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running slapd with its generated directory; stopped on drop.
pub struct Slapd {
    _proc: Proc,
    pub ldap_port: u16,
    pub ldaps_port: u16,
    /// The test CA that signed the server's certificate (PEM).
    pub ca_pem: String,
    _dir: TempDir,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

pub fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

impl Slapd {
    /// Generates, loads and starts a directory; `None` when slapd is missing (and `CI`
    /// is not set).
    pub fn start() -> Option<Slapd> {
        let t = tools()?;
        let dir = tempfile::Builder::new()
            .prefix("anzen-slapd-")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        let pki = pki("anzen test CA").expect("certificates");
        std::fs::create_dir(d.join("db")).expect("db dir");
        std::fs::write(d.join("anzen.schema"), ANZEN_SCHEMA).expect("schema");
        std::fs::write(d.join("ca.pem"), &pki.ca_pem).expect("ca.pem");
        std::fs::write(d.join("server.pem"), &pki.server_pem).expect("server.pem");
        std::fs::write(d.join("server.key"), &pki.server_key).expect("server.key");
        std::fs::write(d.join("slapd.conf"), slapd_conf(&t, d)).expect("slapd.conf");
        std::fs::write(d.join("data.ldif"), ldif()).expect("data.ldif");
        let out = Command::new(&t.slapadd)
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-l")
            .arg(d.join("data.ldif"))
            .output()
            .expect("running slapadd");
        assert!(
            out.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = d.join("slapd.log");
        let mut last = String::new();
        // Another process may take a port between choosing and binding it: try again.
        for _ in 0..3 {
            let (ldap_port, ldaps_port) = (free_port(), free_port());
            let child = Command::new(&t.slapd)
                .arg("-f")
                .arg(d.join("slapd.conf"))
                .arg("-h")
                .arg(format!(
                    "ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"
                ))
                // In the foreground, logging connections and operations (256 = stats).
                .args(["-d", "256"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(File::create(&log).expect("slapd.log")))
                .process_group(0)
                .spawn()
                .expect("starting slapd");
            let mut proc = Proc {
                child,
                log: log.clone(),
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(status)) = proc.child.try_wait() {
                    last = format!("slapd exited ({status}):\n{}", proc.log_tail());
                    break;
                }
                if listening(ldap_port) && listening(ldaps_port) {
                    return Some(Slapd {
                        _proc: proc,
                        ldap_port,
                        ldaps_port,
                        ca_pem: pki.ca_pem,
                        _dir: dir,
                    });
                }
                if Instant::now() > deadline {
                    last = format!("slapd did not listen within 20 s:\n{}", proc.log_tail());
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("slapd did not start: {last}");
    }

    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// The accounts of the whole tree as the read-only service account, over StartTLS.
    pub fn accounts_config(&self) -> DirectoryConfig {
        let mut map = AttributeMap::openldap(&format!("ou=groups,{SUFFIX}"));
        map.account.role.groups = vec![
            GroupRole {
                group: format!("cn=doctors,ou=groups,{SUFFIX}"),
                role: "医師".to_owned(),
            },
            GroupRole {
                group: "Nurses".to_owned(),
                role: "看護師".to_owned(),
            },
            GroupRole {
                group: "it-admins".to_owned(),
                role: "システム管理者".to_owned(),
            },
        ];
        map.account.mfa = Some("anzenMfa".to_owned());
        map.staff.hired = Some(TimeAttribute::auto("anzenHired"));
        map.staff.retired = Some(TimeAttribute::auto("anzenRetired"));
        let mut cfg = DirectoryConfig::new(self.ldap_url(), SUFFIX, map);
        cfg.start_tls = true;
        cfg.bind_dn = READER_DN.to_owned();
        cfg.bind_password = READER_PW.to_owned();
        cfg.filter = "(&(objectClass=inetOrgPerson)(uid=*))".to_owned();
        cfg.ca_cert_pem = Some(self.ca_pem.clone());
        cfg.timeout = Duration::from_secs(10);
        cfg.page_size = 7; // several pages for 21 entries
        cfg
    }

    /// The roster below `ou` as the read-only service account, over LDAPS.
    pub fn staff_config(&self, ou: &str) -> DirectoryConfig {
        let mut cfg = self.accounts_config();
        cfg.url = self.ldaps_url();
        cfg.start_tls = false;
        cfg.base_dn = format!("ou={ou},{SUFFIX}");
        cfg.filter = "(objectClass=inetOrgPerson)".to_owned();
        cfg
    }
}
