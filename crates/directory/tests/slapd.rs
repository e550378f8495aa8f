//! anzen-directory against a real OpenLDAP `slapd` (Debian package `slapd`).
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

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anzen_directory::{
    AttributeMap, DirectoryConfig, DirectoryError, GroupRole, Step, TimeAttribute, fetch_accounts,
    fetch_staff, fetch_staff_detailed,
};
use anzen_ingest::{AccountRow, AccountStatus, StaffRow};
use jiff::civil::Date;
use ldap3::{LdapConn, Mod};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use tempfile::TempDir;

const SUFFIX: &str = "dc=example,dc=jp";
const READER_DN: &str = "cn=reader,ou=services,dc=example,dc=jp";
const READER_PW: &str = "yomitori-Only-2025";
const WRITER_DN: &str = "cn=admin,ou=services,dc=example,dc=jp";
const WRITER_PW: &str = "kanri-Write-2025";
const SYSTEM: &str = "電子カルテ";

type TestResult = Result<(), Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------------------
// Finding slapd

struct Tools {
    slapd: PathBuf,
    slapadd: PathBuf,
    modules: PathBuf,
    schema: PathBuf,
}

fn path_var(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The slapd tools, or `None` to skip (outside CI only).
fn tools() -> Option<Tools> {
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
struct Person {
    uid: &'static str,
    name: &'static str,
    staff_id: &'static str,
    title: &'static str,
    department: &'static str,
    groups: &'static [&'static str],
}

const fn p(
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

const PEOPLE: [Person; 20] = [
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
const RETIRED: usize = 19;

fn person_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{SUFFIX}")
}

/// `pwdChangedTime` of person `i`: 00:00 UTC on day i+1 of January 2025 (09:00 JST,
/// the same date), except the first: 15:00 UTC on 31 March, already 1 April in JST.
fn pwd_changed(i: usize) -> String {
    if i == 0 {
        "20250331150000Z".to_owned()
    } else {
        format!("202501{:02}000000Z", i + 1)
    }
}

/// `authTimestamp` (lastbind) of person `i`: every other one has signed in, on day i+1 of
/// November 2025 at 14:00 UTC (23:00 JST, the same date).
fn last_bind(i: usize) -> Option<String> {
    i.is_multiple_of(2)
        .then(|| format!("202511{:02}140000Z", i + 1))
}

/// 二要素認証: doctors yes, the rest of the staff with a group no, the others unset.
fn mfa(person: &Person) -> Option<bool> {
    if person.groups.contains(&"doctors") {
        Some(true)
    } else if person.groups.is_empty() {
        None
    } else {
        Some(false)
    }
}

fn hired(i: usize) -> Date {
    Date::new(2010 + i16::try_from(i).unwrap_or(0), 4, 1).unwrap_or_default()
}

fn retired_on() -> Date {
    Date::new(2025, 3, 31).unwrap_or_default()
}

/// A custom auxiliary class for what inetOrgPerson lacks (a private-use OID arc).
const ANZEN_SCHEMA: &str = "\
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'anzenHired' DESC '入職日' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'anzenRetired' DESC '退職日' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'anzenMfa' DESC '二要素認証' EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'anzenPerson' AUXILIARY MAY ( anzenHired $ anzenRetired $ anzenMfa ) )
";

fn ldif() -> String {
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
fn filetime(rfc3339: &str) -> String {
    let ts: jiff::Timestamp = rfc3339.parse().expect("a time");
    (ts.as_microsecond() * 10 + 116_444_736_000_000_000).to_string()
}

const AD_GROUPS: &str = "OU=Groups,DC=clinic,DC=local";

fn ad_entries() -> Vec<String> {
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

fn slapd_conf(t: &Tools, dir: &Path) -> String {
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

struct Pki {
    ca_pem: String,
    server_pem: String,
    server_key: String,
}

/// A CA and a server certificate for 127.0.0.1 and localhost, signed by it.
fn pki(name: &str) -> Result<Pki, rcgen::Error> {
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
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn log_tail(&self) -> String {
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
struct Slapd {
    _proc: Proc,
    ldap_port: u16,
    ldaps_port: u16,
    ca_pem: String,
    _dir: TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

impl Slapd {
    /// Generates, loads and starts a directory; `None` when slapd is missing (and `CI`
    /// is not set).
    fn start() -> Option<Slapd> {
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

    fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// The accounts of the whole tree as the read-only service account, over StartTLS.
    fn accounts_config(&self) -> DirectoryConfig {
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
    fn staff_config(&self, ou: &str) -> DirectoryConfig {
        let mut cfg = self.accounts_config();
        cfg.url = self.ldaps_url();
        cfg.start_tls = false;
        cfg.base_dn = format!("ou={ou},{SUFFIX}");
        cfg.filter = "(objectClass=inetOrgPerson)".to_owned();
        cfg
    }
}

// ---------------------------------------------------------------------------------------
// Expected rows

fn expected_accounts() -> Vec<AccountRow> {
    let mut rows: Vec<AccountRow> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, person)| {
            let mut roles = Vec::new();
            for (g, r) in [
                ("doctors", "医師"),
                ("nurses", "看護師"),
                ("it-admins", "システム管理者"),
            ] {
                if person.groups.contains(&g) {
                    roles.push(r);
                }
            }
            AccountRow {
                system: SYSTEM.to_owned(),
                account_id: person.uid.to_owned(),
                name: Some(person.name.to_owned()),
                staff_id: Some(person.staff_id.to_owned()),
                role: if roles.is_empty() {
                    "一般".to_owned()
                } else {
                    roles.join("、")
                },
                status: Some(if i == RETIRED {
                    AccountStatus::Disabled
                } else {
                    AccountStatus::Enabled
                }),
                last_login: last_bind(i).map(|_| {
                    Date::new(2025, 11, i8::try_from(i + 1).unwrap_or(1)).unwrap_or_default()
                }),
                mfa: mfa(person),
                password_changed: Some(if i == 0 {
                    Date::new(2025, 4, 1).unwrap_or_default()
                } else {
                    Date::new(2025, 1, i8::try_from(i + 1).unwrap_or(1)).unwrap_or_default()
                }),
            }
        })
        .collect();
    rows.push(AccountRow {
        system: SYSTEM.to_owned(),
        account_id: "reception".to_owned(),
        name: Some("受付共用".to_owned()),
        staff_id: None,
        role: "一般".to_owned(),
        status: Some(AccountStatus::Enabled),
        last_login: None,
        mfa: None,
        password_changed: None,
    });
    rows.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    rows
}

fn expected_staff() -> Vec<StaffRow> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, person)| StaffRow {
            staff_id: person.staff_id.to_owned(),
            name: person.name.to_owned(),
            job: person.title.to_owned(),
            department: Some(person.department.to_owned()),
            hired: Some(hired(i)),
            retired: (i == RETIRED).then(retired_on),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tests

#[test]
fn accounts_and_staff_over_starttls_and_ldaps() -> TestResult {
    let t0 = Instant::now();
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    eprintln!("slapd ready after {:?}", t0.elapsed());

    let starttls = slapd.accounts_config();
    let accounts = fetch_accounts(&starttls, SYSTEM)?;
    let expected = expected_accounts();
    assert_eq!(accounts.len(), 21);
    for (got, want) in accounts.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert_eq!(accounts, expected);
    let tanaka = accounts
        .iter()
        .find(|a| a.account_id == "tanaka")
        .ok_or("no tanaka")?;
    assert_eq!(tanaka.role, "医師、システム管理者");
    assert_eq!(tanaka.password_changed, Date::new(2025, 4, 1).ok());

    let mut ldaps = starttls.clone();
    ldaps.url = slapd.ldaps_url();
    ldaps.start_tls = false;
    ldaps.page_size = 10;
    assert_eq!(fetch_accounts(&ldaps, SYSTEM)?, expected);

    // Without the paged results control the server's size limit (10) cuts the search off.
    ldaps.page_size = 0;
    let err = fetch_accounts(&ldaps, SYSTEM).expect_err("21 entries in one search");
    eprintln!("{err}");
    assert!(
        matches!(
            err,
            DirectoryError::Server {
                step: Step::Search,
                code: 4,
                ..
            }
        ),
        "{err:?}"
    );

    let staff = fetch_staff(&slapd.staff_config("people"))?;
    assert_eq!(staff, expected_staff());
    let mut starttls_staff = slapd.staff_config("people");
    starttls_staff.url = slapd.ldap_url();
    starttls_staff.start_tls = true;
    assert_eq!(fetch_staff(&starttls_staff)?, staff);

    // The same settings survive anzen.toml.
    let json = serde_json::to_string(&starttls)?;
    let back: DirectoryConfig = serde_json::from_str(&json)?;
    assert_eq!(fetch_accounts(&back, SYSTEM)?, expected);
    eprintln!("done after {:?}", t0.elapsed());
    Ok(())
}

#[test]
fn wrong_password_is_a_bind_error() {
    let Some(slapd) = Slapd::start() else { return };
    for mut cfg in [slapd.accounts_config(), slapd.staff_config("people")] {
        cfg.bind_password = "wrong-password".to_owned();
        let err = fetch_staff(&cfg).expect_err("a wrong password must not bind");
        assert!(
            matches!(err, DirectoryError::BadCredentials { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        eprintln!("{msg}");
        assert!(
            msg.contains("バインドに失敗しました（DN または パスワードが違います）")
                && msg.contains(&cfg.url)
                && msg.contains(READER_DN),
            "{msg}"
        );
    }
}

#[test]
fn an_untrusted_ca_fails_tls() {
    let Some(slapd) = Slapd::start() else { return };
    let other = pki("some other CA").expect("certificates");
    let mut ldaps = slapd.staff_config("people");
    ldaps.ca_cert_pem = Some(other.ca_pem.clone());
    let err = fetch_staff(&ldaps).expect_err("LDAPS with the wrong CA");
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(
        matches!(
            err,
            DirectoryError::Tls {
                step: Step::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        msg.contains(&slapd.ldaps_url()) && msg.contains("TLS 接続を確立できません"),
        "{msg}"
    );

    let mut starttls = slapd.accounts_config();
    starttls.ca_cert_pem = Some(other.ca_pem);
    let err = fetch_accounts(&starttls, SYSTEM).expect_err("StartTLS with the wrong CA");
    eprintln!("{err}");
    assert!(
        matches!(
            err,
            DirectoryError::Tls {
                step: Step::StartTls,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("StartTLS"), "{err}");

    // Without ca_cert_pem the system's CAs are trusted, and they do not know this one.
    let mut system = slapd.staff_config("people");
    system.ca_cert_pem = None;
    let err = fetch_staff(&system).expect_err("LDAPS with the system CAs");
    assert!(matches!(err, DirectoryError::Tls { .. }), "{err:?}");
}

#[test]
fn the_service_account_cannot_write() -> TestResult {
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    // Plain LDAP on loopback is enough here: what matters is the server's answer.
    let dn = person_dn("suzuki");
    let mut reader = LdapConn::new(&slapd.ldap_url())?;
    reader.simple_bind(READER_DN, READER_PW)?.success()?;
    let modify = reader.modify(&dn, vec![Mod::Replace("title", HashSet::from(["院長"]))])?;
    assert_eq!(modify.rc, 50, "modify as the reader: {modify:?}");
    let add = reader.add(
        &format!("uid=intruder,ou=people,{SUFFIX}"),
        vec![
            ("objectClass", HashSet::from(["inetOrgPerson"])),
            ("uid", HashSet::from(["intruder"])),
            ("cn", HashSet::from(["intruder"])),
            ("sn", HashSet::from(["intruder"])),
        ],
    )?;
    assert_eq!(add.rc, 50, "add as the reader: {add:?}");
    let delete = reader.delete(&dn)?;
    assert_eq!(delete.rc, 50, "delete as the reader: {delete:?}");
    let password = reader.modify(
        READER_DN,
        vec![Mod::Replace("userPassword", HashSet::from(["changed"]))],
    )?;
    assert_eq!(password.rc, 50, "own password as the reader: {password:?}");
    let _ = reader.unbind();

    // The refusal is the ACL's: the writer may change the same entry.
    let mut writer = LdapConn::new(&slapd.ldap_url())?;
    writer.simple_bind(WRITER_DN, WRITER_PW)?.success()?;
    writer
        .modify(
            &dn,
            vec![Mod::Replace("title", HashSet::from(["看護師長"]))],
        )?
        .success()?;
    let _ = writer.unbind();
    let staff = fetch_staff(&slapd.staff_config("people"))?;
    let suzuki = staff
        .iter()
        .find(|s| s.staff_id == "S002")
        .ok_or("no S002")?;
    assert_eq!(suzuki.job, "看護師長");
    Ok(())
}

#[test]
fn an_unreadable_value_names_the_entry_and_the_attribute() {
    let Some(slapd) = Slapd::start() else { return };
    let err = fetch_staff(&slapd.staff_config("broken")).expect_err("昨年の春 is no date");
    assert_eq!(
        err.to_string(),
        format!("cn=broken,ou=broken,{SUFFIX} の anzenHired『昨年の春』を日時として読めません")
    );

    // A mapping that reads a date from a text attribute fails the same way.
    let mut cfg = slapd.staff_config("people");
    cfg.attributes.staff.hired = Some(TimeAttribute::auto("departmentNumber"));
    let err = fetch_staff(&cfg).expect_err("内科 is no date");
    let msg = err.to_string();
    assert!(
        msg.contains(",ou=people,dc=example,dc=jp の departmentNumber『")
            && msg.contains("』を日時として読めません"),
        "{msg}"
    );
}

#[test]
fn a_missing_attribute_fails_unless_skip_incomplete() -> TestResult {
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    let mut cfg = slapd.staff_config("incomplete");
    let err = fetch_staff(&cfg).expect_err("cn=notitle has no title");
    assert_eq!(
        err.to_string(),
        format!("cn=notitle,ou=incomplete,{SUFFIX} に必須の属性 title（職種）がありません")
    );
    cfg.skip_incomplete = true;
    let detailed = fetch_staff_detailed(&cfg)?;
    assert_eq!(detailed.skipped.len(), 1);
    assert!(
        detailed.skipped[0].to_string().starts_with("cn=notitle,"),
        "{:?}",
        detailed.skipped
    );
    let staff = fetch_staff(&cfg)?;
    assert_eq!(staff, detailed.rows);
    assert_eq!(
        staff
            .iter()
            .map(|s| s.staff_id.as_str())
            .collect::<Vec<_>>(),
        ["C001"]
    );

    // A search base that does not exist is the server's answer, with a hint.
    let mut cfg = slapd.staff_config("nowhere");
    cfg.skip_incomplete = false;
    let err = fetch_staff(&cfg).expect_err("no such base");
    eprintln!("{err}");
    assert!(
        err.to_string().contains("検索ベースが見つかりません"),
        "{err}"
    );
    Ok(())
}

#[test]
fn nothing_listening_is_a_connection_error() {
    // No slapd needed: a loopback port nobody listens on.
    let port = free_port();
    let mut cfg = DirectoryConfig::new(
        format!("ldaps://127.0.0.1:{port}"),
        SUFFIX,
        AttributeMap::openldap(&format!("ou=groups,{SUFFIX}")),
    );
    cfg.bind_dn = READER_DN.to_owned();
    cfg.bind_password = READER_PW.to_owned();
    cfg.timeout = Duration::from_secs(5);
    let err = fetch_staff(&cfg).expect_err("nothing listens");
    eprintln!("{err}");
    assert!(matches!(err, DirectoryError::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("ldaps://127.0.0.1:{port} に接続できません")),
        "{err}"
    );
}

#[test]
fn the_active_directory_preset_reads_ad_shaped_entries() -> TestResult {
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    let mut cfg = slapd.staff_config("ad");
    cfg.attributes = AttributeMap::active_directory();
    cfg.filter = "(objectClass=user)".to_owned();
    let d = |y, m, day| Date::new(y, m, day).ok();

    // The preset: every group by its cn.
    let accounts = fetch_accounts(&cfg, "AD")?;
    let ids: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, ["adm-t.tanaka", "h.suzuki", "svc-backup", "t.tanaka"]);
    let [admin, suzuki, svc, tanaka] = accounts.as_slice() else {
        return Err("four accounts".into());
    };
    assert_eq!(admin.staff_id.as_deref(), Some("S001"));
    assert_eq!(admin.role, "Domain Admins");
    assert_eq!(tanaka.name.as_deref(), Some("田中 一郎"));
    assert_eq!(tanaka.staff_id.as_deref(), Some("S001"));
    assert_eq!(tanaka.role, "Domain Admins、EHR-Doctors");
    assert_eq!(tanaka.status, Some(AccountStatus::Enabled));
    assert_eq!(tanaka.password_changed, d(2025, 4, 1));
    assert_eq!(tanaka.last_login, d(2025, 11, 20));
    assert_eq!(tanaka.mfa, None);
    assert_eq!(suzuki.status, Some(AccountStatus::Disabled));
    assert_eq!(suzuki.password_changed, None);
    assert_eq!(suzuki.last_login, None);
    assert_eq!(svc.staff_id, None);
    assert_eq!(svc.role, "一般");
    assert_eq!(svc.status, Some(AccountStatus::Enabled));
    assert_eq!(svc.password_changed, d(2024, 12, 31));
    assert_eq!(svc.last_login, None);

    // Named groups: only these count, by DN (any case) or cn.
    cfg.attributes.account.role.groups = vec![
        GroupRole {
            group: format!("cn=ehr-doctors,{AD_GROUPS}"),
            role: "医師".to_owned(),
        },
        GroupRole {
            group: "EHR-Nurses".to_owned(),
            role: "看護師".to_owned(),
        },
    ];
    let roles: Vec<String> = fetch_accounts(&cfg, "AD")?
        .into_iter()
        .map(|a| a.role)
        .collect();
    assert_eq!(roles, ["一般", "看護師", "一般", "医師"]);

    // The roster: one row for S001 (two accounts); the service account has no employeeID (slapd writes the DN with `cn=`).
    let err = fetch_staff(&cfg).expect_err("svc-backup has no employeeID");
    assert_eq!(
        err.to_string(),
        format!("cn=svc-backup,ou=ad,{SUFFIX} に必須の属性 employeeID（職員番号）がありません")
    );
    cfg.skip_incomplete = true;
    let staff = fetch_staff(&cfg)?;
    assert_eq!(
        staff,
        [
            StaffRow {
                staff_id: "S001".to_owned(),
                name: "田中 一郎".to_owned(),
                job: "医師".to_owned(),
                department: Some("内科".to_owned()),
                hired: None,
                retired: None,
            },
            StaffRow {
                staff_id: "S002".to_owned(),
                name: "鈴木 花子".to_owned(),
                job: "看護師".to_owned(),
                department: Some("外科".to_owned()),
                hired: None,
                retired: None,
            },
        ]
    );
    Ok(())
}

#[test]
fn duplicate_ids_name_both_entries() {
    let Some(slapd) = Slapd::start() else { return };
    let mut cfg = slapd.staff_config("dup");
    cfg.filter = "(uid=*)".to_owned();
    let err = fetch_accounts(&cfg, SYSTEM).expect_err("uid=same twice");
    assert_eq!(
        err.to_string(),
        format!(
            "uid=same,ou=a,ou=dup,{SUFFIX} と uid=same,ou=b,ou=dup,{SUFFIX} の uid『same』が重複しています（アカウントIDは一意である必要があります）"
        )
    );
    cfg.skip_incomplete = true; // not an incomplete entry: still an error
    let err = fetch_staff(&cfg).expect_err("D001 twice, different titles");
    assert!(
        matches!(
            err,
            DirectoryError::Duplicate {
                column: "職員番号",
                ..
            }
        ),
        "{err:?}"
    );
}
