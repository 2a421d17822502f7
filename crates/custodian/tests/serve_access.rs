//! Access control end to end: the real binary (`custodian serve --demo`) on a
//! loopback socket, spoken to in raw HTTP/1.1, with real signed reads
//! (FORMATS.md §18) by the demo's actors, whose keys `--demo` writes to
//! `<db>.keys/`. Every GET route of the served OpenAPI document is asked by
//! the public and by actors of several roles and states; the expectations are
//! those of `crates/custodian-server/tests/access.rs`, here with the real
//! engines' views: a state's facility-level accounts (MBA XFF1's evaluation,
//! the leaves that hold them, the entry bundle) are served to that state and
//! to inspectors only, and no answer to anyone else carries any of their
//! names, ids or batch codes.
//!
//! `--demo` builds an SQLite file whatever store the suite runs on: this test
//! is about the served HTTP, not the store.

use custodian_core::{ActorId, Party, SignedSubmission};
use custodian_ledger::keys::SigningKey;
use custodian_server::auth::sign_read;
use custodian_store::sqlite::SqliteStore;
use custodian_store::Store;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `custodian serve --demo` in a fresh directory; killed when dropped.
struct Server {
    child: Child,
    addr: String,
    dir: PathBuf,
}

impl Server {
    fn start(tag: &str) -> Server {
        let dir =
            std::env::temp_dir().join(format!("custodian-serve-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_custodian"))
            .current_dir(&dir)
            .args([
                "--db",
                "demo.db",
                "serve",
                "--demo",
                "--addr",
                "127.0.0.1:0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start custodian serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the server's output to its end, so that it never blocks on a
        // full pipe, and hands over the address it listens on.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(addr) => addr,
            Err(e) => {
                let _ = child.kill();
                panic!("custodian serve --demo did not say where it listens: {e}");
            }
        };
        Server { child, addr, dir }
    }

    fn db(&self) -> PathBuf {
        self.dir.join("demo.db")
    }

    /// The key of a demo actor, from `<db>.keys/ACTOR.key`.
    fn key(&self, actor: &str) -> SigningKey {
        let path = self.dir.join("demo.db.keys").join(format!("{actor}.key"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        SigningKey::parse(text.trim()).expect("a signer key")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP answer.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// `GET target` over a fresh connection, raw HTTP/1.1.
fn http_get(addr: &str, target: &str, authorization: Option<&str>) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    Answer {
        status,
        body: raw[end + 4..].to_vec(),
    }
}

/// A signed read of `target` by `key`'s actor, now, with a fresh nonce.
fn signed(key: &SigningKey, origin: &str, target: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&(now.as_nanos() as u64).to_be_bytes());
    nonce[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    let time = custodian_core::UtcTime::from_unix_seconds(now.as_secs() as i64).expect("time");
    sign_read(key, origin, "GET", target, time, &nonce)
}

/// Whose facility-level accounts a leaf holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Secret {
    /// A state's, submitted by one of its actors.
    State(String),
    /// Submitted by an international body (the inspectorate's measurements):
    /// inspectors only.
    Body,
}

/// The event kinds that make up a state's facility-level accounts (issue 8,
/// item 4), listed here rather than taken from the server's code.
const ACCOUNTS_KINDS: [&str; 7] = [
    "facility.register",
    "mba.register",
    "material.inventory_change",
    "material.physical_inventory",
    "material.measurement",
    "material.inventory_taking",
    "material.report",
];

/// Who may read a secret: inspectors everything, a state's actors their own.
fn may_read(viewer: Option<&(String, Party)>, secret: &Secret) -> bool {
    match (viewer, secret) {
        (None, _) => false,
        (Some((role, _)), _) if role == "inspector" => true,
        (Some((_, Party::State(s))), Secret::State(owner)) => s.as_str() == owner,
        _ => false,
    }
}

/// The log as the test sees it, read from the database.
struct Demo {
    origin: String,
    size: u64,
    leaves: Vec<Vec<u8>>,
    /// Restricted leaves, by index.
    secrets: BTreeMap<u64, Secret>,
    /// Strings of each secret's leaves (facility, MBA, batch and names) that
    /// no other leaf holds.
    markers: BTreeMap<Secret, BTreeSet<String>>,
    /// Role and party of each actor.
    actors: BTreeMap<String, (String, Party)>,
    /// An item of the custody record.
    item: String,
}

fn strings_of(value: &Value, out: &mut BTreeSet<String>) {
    if let Value::Object(map) = value {
        for (key, v) in map {
            match v {
                Value::String(s)
                    if ["facility", "mba", "batch", "name", "previous_batch"]
                        .contains(&key.as_str())
                        && s.len() >= 4 =>
                {
                    out.insert(s.clone());
                }
                Value::Object(_) | Value::Array(_) => strings_of(v, out),
                _ => {}
            }
        }
    }
    if let Value::Array(items) = value {
        for v in items {
            strings_of(v, out);
        }
    }
}

fn read_demo(db: &Path) -> Demo {
    let store = SqliteStore::open(db).expect("open the demo log");
    let origin = store.meta().expect("meta").origin;
    let size = store.tree_size().expect("size").0;
    let leaves: Vec<Vec<u8>> = store
        .read_leaves(0, size)
        .expect("leaves")
        .into_iter()
        .map(|l| l.data)
        .collect();
    let actors: BTreeMap<String, (String, Party)> = store
        .actors()
        .expect("actors")
        .into_iter()
        .map(|r| {
            (
                r.id.as_str().to_string(),
                (r.role.as_str().to_string(), r.party),
            )
        })
        .collect();
    let mut secrets = BTreeMap::new();
    let mut candidates: BTreeMap<Secret, BTreeSet<String>> = BTreeMap::new();
    let mut item = None;
    for (index, leaf) in leaves.iter().enumerate() {
        let signed = SignedSubmission::from_leaf_bytes(leaf).expect("leaf parses");
        let json = signed.to_json();
        let events = json["events"].as_array().expect("events");
        if item.is_none() {
            item = events
                .iter()
                .find(|e| e["kind"] == "item.produce")
                .and_then(|e| e["payload"]["item"].as_str())
                .map(str::to_string);
        }
        if !events
            .iter()
            .any(|e| ACCOUNTS_KINDS.contains(&e["kind"].as_str().unwrap_or("")))
        {
            continue;
        }
        let actor: &ActorId = &signed.submission.actor;
        let secret = match &actors.get(actor.as_str()).expect("registered").1 {
            Party::State(s) => Secret::State(s.as_str().to_string()),
            Party::Body(_) => Secret::Body,
        };
        let found = candidates.entry(secret.clone()).or_default();
        for e in events {
            strings_of(&e["payload"], found);
        }
        secrets.insert(index as u64, secret);
    }
    // A marker is a string only its secret's leaves hold.
    let mut markers = BTreeMap::new();
    for (secret, strings) in candidates {
        let keep: BTreeSet<String> = strings
            .into_iter()
            .filter(|s| {
                leaves.iter().enumerate().all(|(i, leaf)| {
                    secrets.get(&(i as u64)) == Some(&secret)
                        || !leaf.windows(s.len()).any(|w| w == s.as_bytes())
                })
            })
            .collect();
        markers.insert(secret, keep);
    }
    Demo {
        origin,
        size,
        leaves,
        secrets,
        markers,
        actors,
        item: item.expect("the demo produces items"),
    }
}

/// What a route answers in the demo.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// This status for everyone.
    Status(u16),
    /// `200` to the readers of every secret of `secrets`; `403` to others.
    Only(&'static str),
}

/// A path template with its parameters' names dropped (`/a/{}/b`).
fn shape(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn restricted_views_over_real_http_with_real_signed_reads() {
    let server = Server::start("access");
    let demo = read_demo(&server.db());
    let xff = Secret::State("XFF".into());
    assert!(
        demo.secrets.values().any(|s| *s == xff),
        "the demo has XFF's accounts"
    );
    // Each state's accounts have strings only they hold (the inspectorate's
    // measurements name the state's MBAs and batches, so they may not).
    for (secret, markers) in &demo.markers {
        if matches!(secret, Secret::State(_)) {
            assert!(
                !markers.is_empty(),
                "{secret:?} has strings only its leaves hold"
            );
        }
    }
    let viewers: Vec<Option<&str>> = vec![
        None,
        Some("admin"),
        Some("secretariat"),
        Some("inspector-1"),
        Some("xff-operator-1"),
        Some("xbb-operator-1"),
        Some("xaa-officer-1"),
    ];
    let keys: BTreeMap<&str, SigningKey> = viewers
        .iter()
        .flatten()
        .map(|a| (*a, server.key(a)))
        .collect();

    // The routes and what each answers here.
    let xff_leaf = *demo
        .secrets
        .iter()
        .find(|(_, s)| **s == xff)
        .expect("XFF leaf")
        .0;
    let size = demo.size;
    assert!(size < 256, "the demo fits one partial tile");
    let large = demo.leaves.iter().any(|l| l.len() > 65_535);
    let (standard, large_form) = if large {
        (Expect::Status(404), Expect::Only("all"))
    } else {
        (Expect::Only("all"), Expect::Status(404))
    };
    let ok = Expect::Status(200);
    let table: BTreeMap<String, (String, Expect)> = [
        ("/checkpoint", "/checkpoint".to_string(), ok),
        ("/api/v1/checkpoint", "/api/v1/checkpoint".into(), ok),
        ("/api/v1/entries", "/api/v1/entries".into(), ok),
        (
            "/api/v1/entries/{}",
            format!("/api/v1/entries/{xff_leaf}"),
            ok,
        ),
        (
            "/api/v1/proofs/inclusion",
            format!("/api/v1/proofs/inclusion?index={xff_leaf}"),
            ok,
        ),
        (
            "/api/v1/proofs/consistency",
            "/api/v1/proofs/consistency?from=1".into(),
            ok,
        ),
        ("/openapi.json", "/openapi.json".into(), ok),
        ("/tile/{}/{}", "/tile/0/000".into(), Expect::Status(404)),
        ("/tile/{}/{}.p/{}", format!("/tile/0/000.p/{size}"), ok),
        (
            "/tile/entries/{}",
            "/tile/entries/000".into(),
            Expect::Status(404),
        ),
        (
            "/tile/entries/{}.p/{}",
            format!("/tile/entries/000.p/{size}"),
            standard,
        ),
        (
            "/custodian/entries/{}",
            "/custodian/entries/000".into(),
            Expect::Status(404),
        ),
        (
            "/custodian/entries/{}.p/{}",
            format!("/custodian/entries/000.p/{size}"),
            large_form,
        ),
        (
            "/api/v1/registry/status",
            "/api/v1/registry/status?treaty=NPT".into(),
            ok,
        ),
        (
            "/api/v1/registry/in-force",
            "/api/v1/registry/in-force?treaty=CTBT".into(),
            ok,
        ),
        (
            "/api/v1/registry/states/{}",
            "/api/v1/registry/states/USA".into(),
            ok,
        ),
        (
            "/api/v1/registry/forces",
            "/api/v1/registry/forces".into(),
            ok,
        ),
        (
            "/api/v1/registry/deployments",
            "/api/v1/registry/deployments".into(),
            ok,
        ),
        ("/api/v1/items", "/api/v1/items".into(), ok),
        (
            "/api/v1/items/{}",
            format!("/api/v1/items/{}", demo.item),
            ok,
        ),
        (
            "/api/v1/items/{}/history",
            format!("/api/v1/items/{}/history", demo.item),
            ok,
        ),
        ("/api/v1/alerts", "/api/v1/alerts".into(), ok),
        ("/api/v1/findings", "/api/v1/findings".into(), ok),
        (
            "/api/v1/accountancy/mbas",
            "/api/v1/accountancy/mbas".into(),
            ok,
        ),
        (
            "/api/v1/accountancy/mbas/{}/evaluation",
            "/api/v1/accountancy/mbas/XFF1/evaluation".into(),
            Expect::Only("XFF"),
        ),
        ("/api/v1/escrow", "/api/v1/escrow".into(), ok),
        (
            "/api/v1/review/summary",
            "/api/v1/review/summary?year=2026".into(),
            ok,
        ),
    ]
    .into_iter()
    .map(|(t, uri, e)| (shape(t), (uri, e)))
    .collect();

    // The API document is the code's, the same for every log: a string it
    // holds as an example (`XFF1`) is no marker.
    let doc_answer = http_get(&server.addr, "/openapi.json", None);
    let doc_text = String::from_utf8_lossy(&doc_answer.body).to_string();
    let mut demo = demo;
    for markers in demo.markers.values_mut() {
        markers.retain(|m| !doc_text.contains(m.as_str()));
    }
    let demo = demo;
    let doc = doc_answer.json();
    let mut unknown = Vec::new();
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        if !item.as_object().expect("item").contains_key("get") {
            continue;
        }
        let Some((uri, expect)) = table.get(&shape(template)) else {
            unknown.push(template.clone());
            continue;
        };
        for viewer in &viewers {
            let who = viewer.map(|a| demo.actors.get(a).expect("registered"));
            let authorization = viewer.map(|a| signed(&keys[a], &demo.origin, uri));
            let answer = http_get(&server.addr, uri, authorization.as_deref());
            let what = format!("GET {uri} as {}", viewer.unwrap_or("the public"));
            match expect {
                Expect::Status(status) => assert_eq!(
                    answer.status,
                    *status,
                    "{what}: {}",
                    String::from_utf8_lossy(&answer.body)
                ),
                Expect::Only(whose) => {
                    let allowed = if *whose == "all" {
                        demo.secrets.values().all(|s| may_read(who, s))
                    } else {
                        may_read(who, &Secret::State((*whose).into()))
                    };
                    if allowed {
                        assert_eq!(
                            answer.status,
                            200,
                            "{what}: {}",
                            String::from_utf8_lossy(&answer.body)
                        );
                    } else {
                        assert_eq!(
                            (answer.status, answer.code()),
                            (403, "forbidden".into()),
                            "{what}"
                        );
                    }
                }
            }
            // Nothing the viewer may not read, in any form.
            let text = String::from_utf8_lossy(&answer.body);
            for (secret, markers) in &demo.markers {
                if may_read(who, secret) {
                    continue;
                }
                for marker in markers.iter().filter(|m| !uri.contains(m.as_str())) {
                    let hex = custodian_core::encoding::hex(marker.as_bytes());
                    assert!(
                        !text.contains(marker.as_str()) && !text.contains(&hex),
                        "{what}: shows {secret:?}'s {marker:?}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(
        unknown.is_empty(),
        "GET routes with no expectation: {unknown:?}"
    );

    // Leaves: redacted exactly for those who may not read them.
    for viewer in &viewers {
        let who = viewer.map(|a| demo.actors.get(a).expect("registered"));
        let uri = "/api/v1/entries";
        let authorization = viewer.map(|a| signed(&keys[a], &demo.origin, uri));
        let v = http_get(&server.addr, uri, authorization.as_deref()).json();
        for e in v["entries"].as_array().expect("entries") {
            let index = e["index"].as_u64().expect("index");
            let readable = demo.secrets.get(&index).is_none_or(|s| may_read(who, s));
            assert_eq!(e["redacted"], !readable, "{viewer:?}: leaf {index}");
        }
    }
    // The MBA list: XFF's operator sees XFF1, not XBB1; the public neither.
    let list = |viewer: Option<&str>| {
        let uri = "/api/v1/accountancy/mbas";
        let authorization = viewer.map(|a| signed(&keys[a], &demo.origin, uri));
        let v = http_get(&server.addr, uri, authorization.as_deref()).json();
        let mbas: BTreeSet<String> = v["mbas"]
            .as_array()
            .expect("mbas")
            .iter()
            .filter_map(|m| m["mba"].as_str().map(str::to_string))
            .collect();
        (mbas, v["hidden"].as_u64().expect("hidden"))
    };
    let (public, hidden) = list(None);
    assert!(public.is_empty() && hidden >= 2, "{public:?} {hidden}");
    let (xff_sees, _) = list(Some("xff-operator-1"));
    assert!(
        xff_sees.contains("XFF1") && !xff_sees.contains("XBB1"),
        "{xff_sees:?}"
    );
    let (inspector_sees, hidden) = list(Some("inspector-1"));
    assert!(inspector_sees.contains("XFF1") && inspector_sees.contains("XBB1") && hidden == 0);

    // Over the wire too: a replayed header, a path altered after signing, an
    // expired time.
    let uri = "/api/v1/accountancy/mbas/XFF1/evaluation";
    let header = signed(&keys["xff-operator-1"], &demo.origin, uri);
    assert_eq!(http_get(&server.addr, uri, Some(&header)).status, 200);
    let again = http_get(&server.addr, uri, Some(&header));
    assert_eq!((again.status, again.code()), (401, "replayed".into()));
    let header = signed(&keys["xff-operator-1"], &demo.origin, uri);
    let altered = http_get(
        &server.addr,
        "/api/v1/accountancy/mbas/XBB1/evaluation",
        Some(&header),
    );
    assert_eq!((altered.status, altered.code()), (401, "forged".into()));
    let old = custodian_core::UtcTime::from_unix_seconds(1_767_600_000).expect("time");
    let header = sign_read(
        &keys["xff-operator-1"],
        &demo.origin,
        "GET",
        uri,
        old,
        &[7; 16],
    );
    let expired = http_get(&server.addr, uri, Some(&header));
    assert_eq!((expired.status, expired.code()), (401, "expired".into()));
    assert_eq!(expired.json()["error"]["field"], "authorization");
    println!(
        "serve access: {checked} reads over real HTTP; markers per secret: {:?}",
        demo.markers
            .iter()
            .map(|(s, m)| (s, m.len()))
            .collect::<Vec<_>>()
    );
}
